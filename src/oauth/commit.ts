import Database from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log.js';
import { TemporarilyUnavailable } from '../core/oauth-errors.js';
import { inTransaction, type Db, type Tx } from '../db/client.js';

/**
 * Runs a state change and its audit row in one transaction. Fails closed: when the database cannot take the
 * write, the caller gets 503 temporarily_unavailable and nothing is handed out unrecorded. A decision the
 * change itself throws (a refusal of any kind) rolls the transaction back and reaches the caller unchanged.
 */
export function commitAudited<T>(deps: { db: Db; audit: AuditLog }, change: (tx: Tx) => T): T {
  try {
    return inTransaction(deps.db, change);
  } catch (err) {
    if (!(err instanceof Database.SqliteError)) throw err;
    throw new TemporarilyUnavailable('the service cannot record this request; try again shortly', `audit write failed: ${err.code}: ${err.message}`, { cause: err });
  }
}
