import type { AuditLog } from './audit-log.js';
import { TemporarilyUnavailable } from '../core/oauth-errors.js';
import { storageFailure } from '../db/failures.js';
import type { Tx } from '../db/tx.js';

/**
 * Commits a state change and its audit row in one transaction (group-committed with the changes of other
 * requests of the same moment) and settles after COMMIT, so nothing is handed out before it is recorded.
 * Fails closed: when the database cannot take the write, or its file is no longer the one at the configured
 * path, the caller gets 503 temporarily_unavailable. A
 * decision the change itself throws (a refusal of any kind) rolls back that change alone and reaches the
 * caller unchanged.
 */
export async function commitAudited<T>(deps: { audit: AuditLog }, change: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await deps.audit.commit(change);
  } catch (err) {
    const failure = storageFailure(err);
    if (failure === undefined) throw err;
    throw new TemporarilyUnavailable('the service cannot record this request; try again shortly', `audit write failed: ${failure}`, { cause: err });
  }
}
