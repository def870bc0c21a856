import Database from 'better-sqlite3';
import pg from 'pg';
import { DatabaseError } from './client.js';

/**
 * A failure of the storage itself, as opposed to a decision: SQLite refusing a write, the file gone, PostgreSQL
 * refusing a statement, or PostgreSQL out of reach (a restart, a network cut, a pool with no free connection in
 * time). Callers answer these 503 and retry later; nothing was handed out. Looks through drizzle's wrapping
 * (`DrizzleQueryError`, whose message quotes the query and its parameters and must never be logged).
 */
export function storageFailure(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof DatabaseError) return e.message;
    if (e instanceof Database.SqliteError) return `SQLite ${e.code}: ${e.message}`;
    if (e instanceof pg.DatabaseError) return `PostgreSQL SQLSTATE ${e.code ?? '?'}: ${e.message}`;
    if (isConnectionFailure(e)) return `PostgreSQL unreachable: ${e.message}`;
  }
  return undefined;
}

/** node-postgres reports a lost or refused connection with plain errors: these are the ones it throws. */
function isConnectionFailure(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03'].includes(code)) return true;
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end)/.test(e.message);
}
