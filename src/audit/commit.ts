import Database from 'better-sqlite3';
import type { AuditLog } from './audit-log.js';
import { TemporarilyUnavailable } from '../core/oauth-errors.js';
import { DatabaseUnusable } from '../db/client.js';
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
    if (err instanceof DatabaseUnusable) throw new TemporarilyUnavailable('the service cannot record this request; try again shortly', `audit write refused: ${err.message}`, { cause: err });
    if (!(err instanceof Database.SqliteError)) throw err;
    throw new TemporarilyUnavailable('the service cannot record this request; try again shortly', `audit write failed: ${err.code}: ${err.message}`, { cause: err });
  }
}
