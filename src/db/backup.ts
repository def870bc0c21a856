import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseError } from './client.js';

/**
 * An online, consistent copy of the SQLite database at `path` into a new file `to` (mode 0600), while the service
 * goes on writing: SQLite's backup API through its own connection, committed WAL content included. All pages go
 * in one step, inside one read transaction: in WAL mode that never blocks the service's writers, and no write can
 * land halfway (copied a few pages at a time, each write by the service would restart the backup). Returns the
 * backup's size in bytes; removes the partial file on failure.
 */
export async function backupSqlite(path: string, to: string): Promise<number> {
  if (!existsSync(path)) throw new DatabaseError(`no database at ${path}`);
  try {
    // Created here, private from the start, and never over an existing file.
    closeSync(openSync(to, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatabaseError(code === 'EEXIST' ? `${to} already exists; a backup never overwrites a file` : `cannot create ${to} (${code ?? (err as Error).message})`, { cause: err });
  }
  let source: Database.Database | undefined;
  try {
    source = new Database(path, { fileMustExist: true });
    source.pragma('busy_timeout = 5000');
    await source.backup(to, { progress: () => 0x7fff_ffff });
  } catch (err) {
    rmSync(to, { force: true });
    throw new DatabaseError(`cannot back up ${path} to ${to}: ${(err as Error).message}`, { cause: err });
  } finally {
    source?.close();
  }
  return statSync(to).size;
}
