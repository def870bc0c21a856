import { getTableName, lt } from 'drizzle-orm';
import { keptPastExpiryMs, type PurgeExpired } from '../prune-expired.js';
import { launchCodes } from '../schema-pg/launch-codes.js';
import { revokedTokens } from '../schema-pg/revoked-tokens.js';
import { samlAssertions } from '../schema-pg/saml-assertions.js';
import { samlRequests } from '../schema-pg/saml-requests.js';
import { subjectCutoffs } from '../schema-pg/subject-cutoffs.js';
import { usedClientAssertions } from '../schema-pg/used-client-assertions.js';
import { pgOf } from '../tx.js';

/** The PostgreSQL purge: the same tables as SQLite's (prune-expired.ts). */
export const purgeExpiredPg: PurgeExpired = async (tx, now) => {
  let removed = 0;
  for (const table of [revokedTokens, subjectCutoffs, usedClientAssertions, samlRequests, samlAssertions, launchCodes]) {
    const before = new Date(now.getTime() - keptPastExpiryMs(getTableName(table)));
    removed += (await pgOf(tx).delete(table).where(lt(table.expiresAt, before))).rowCount ?? 0;
  }
  return removed;
};
