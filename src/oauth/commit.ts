import type { AuditLog } from '../audit/audit-log.js';
import { OAuthError, TemporarilyUnavailable } from '../core/oauth-errors.js';
import { inTransaction, type Db, type Tx } from '../db/client.js';

/**
 * Runs a state change and its audit row in one transaction. Fails closed: when the database cannot take the
 * write, the caller gets 503 temporarily_unavailable and nothing is handed out unrecorded.
 */
export function commitAudited<T>(deps: { db: Db; audit: AuditLog }, change: (tx: Tx) => T): T {
  try {
    return inTransaction(deps.db, change);
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    throw new TemporarilyUnavailable('the service cannot record this request; try again shortly', `audit write failed: ${(err as Error).message}`, { cause: err });
  }
}
