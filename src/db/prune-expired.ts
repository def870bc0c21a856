import { getTableName, lt } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { GroupCommitter } from './group-commit.js';
import { launchCodes } from './schema/launch-codes.js';
import { revokedTokens } from './schema/revoked-tokens.js';
import { samlAssertions } from './schema/saml-assertions.js';
import { EXPIRED_LOGINS_KEPT_MS, samlRequests } from './schema/saml-requests.js';
import { subjectCutoffs } from './schema/subject-cutoffs.js';
import { usedClientAssertions } from './schema/used-client-assertions.js';
import { sqliteOf, type Tx } from './tx.js';

/**
 * One engine's statements that delete, in `tx`, the one-time and revocation rows expired at `now`; resolves to
 * how many. The tables: revoked tokens, subject cutoffs, used client assertions, SAML requests and assertions, launch codes.
 */
export type PurgeExpired = (tx: Tx, now: Date) => Promise<number>;

/** How long past its expiry a table's row is kept (pending logins: to tell a late answer apart), by table name. */
export const keptPastExpiryMs = (table: string): number => (table === 'saml_requests' ? EXPIRED_LOGINS_KEPT_MS : 0);

/** The SQLite purge (PostgreSQL's: pg/purge-expired.ts). */
export const purgeExpiredSqlite: PurgeExpired = async (tx, now) => {
  let removed = 0;
  for (const table of [revokedTokens, subjectCutoffs, usedClientAssertions, samlRequests, samlAssertions, launchCodes]) {
    const before = new Date(now.getTime() - keptPastExpiryMs(getTableName(table)));
    removed += sqliteOf(tx).delete(table).where(lt(table.expiresAt, before)).run().changes;
  }
  return removed;
};

/**
 * Deletes one-time and revocation rows whose values have expired anyway (an expired token, assertion or
 * request is refused for being expired, so its row no longer protects anything); pending logins an hour later.
 * The audit log is not touched.
 * Through the group committer, like every other write: never a statement beside an open batch.
 */
export function pruneExpired(committer: GroupCommitter, clock: Clock, purge: PurgeExpired): Promise<number> {
  const now = clock.now();
  return committer.commit((tx) => purge(tx, now));
}

/** Prunes now and then every `intervalMs`; the timer never keeps the process alive. Returns a stop function. */
export function schedulePruning(committer: GroupCommitter, clock: Clock, purge: PurgeExpired, intervalMs = 3_600_000): () => void {
  // A failed prune is retried at the next interval (the rows it would remove refuse nothing meanwhile); a
  // database that refuses writes shows in readiness through the committer's last failure.
  const prune = () => void pruneExpired(committer, clock, purge).catch(() => undefined);
  prune();
  const timer = setInterval(prune, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
