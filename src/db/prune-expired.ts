import { lt } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db } from './client.js';
import { launchCodes } from './schema/launch-codes.js';
import { revokedTokens } from './schema/revoked-tokens.js';
import { samlAssertions } from './schema/saml-assertions.js';
import { samlRequests } from './schema/saml-requests.js';
import { usedClientAssertions } from './schema/used-client-assertions.js';

/**
 * Deletes one-time and revocation rows whose values have expired anyway (an expired token, assertion or
 * request is refused for being expired, so its row no longer protects anything). The audit log is not touched.
 */
export function pruneExpired(db: Db, clock: Clock): number {
  const now = clock.now();
  let removed = 0;
  for (const table of [revokedTokens, usedClientAssertions, samlRequests, samlAssertions, launchCodes]) {
    removed += db.delete(table).where(lt(table.expiresAt, now)).run().changes;
  }
  return removed;
}

/** Prunes now and then every `intervalMs`; the timer never keeps the process alive. Returns a stop function. */
export function schedulePruning(db: Db, clock: Clock, intervalMs = 3_600_000): () => void {
  pruneExpired(db, clock);
  const timer = setInterval(() => pruneExpired(db, clock), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
