import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder } from '../core/paths.js';
import * as schema from './schema/index.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** What opening did to the schema: the migrations it applied just now, and how many the database has in all. */
export interface MigrationReport {
  applied: number;
  total: number;
}

export interface AppDatabase {
  readonly db: Db;
  readonly sqlite: Database.Database;
  readonly migrations: MigrationReport;
  /** Throws DatabaseUnusable when the configured path no longer names the file this connection writes. */
  checkFile(): void;
  close(): void;
}

/** A database that cannot be used: the message says what to do, no stack trace needed. */
export class DatabaseError extends Error {}

/**
 * The file at the configured path is not the one this connection writes (deleted, or replaced, under the
 * running service): SQLite would go on writing into an unlinked file that nothing will ever read again.
 */
export class DatabaseUnusable extends DatabaseError {}

export interface OpenDatabaseOptions {
  path: string;
  synchronous?: 'normal' | 'full';
}

/**
 * Opens SQLite in WAL mode with foreign keys and a busy timeout, applies the committed drizzle-kit
 * migrations from `db/`, and refuses a database whose schema is newer than this code.
 */
export function openDatabase({ path, synchronous = 'normal' }: OpenDatabaseOptions): AppDatabase {
  let sqlite: Database.Database;
  try {
    if (path !== ':memory:') {
      // Private from the start: the folder 0700, the file 0600 (SQLite gives -wal and -shm the file's mode).
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
      refuseReadOnly(path);
    }
    sqlite = new Database(path);
    sqlite.pragma('journal_mode = WAL');
  } catch (err) {
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`cannot open the database at ${path}: ${(err as Error).message} (is the folder writable?)`, { cause: err });
  }
  try {
    // Any other reason it cannot be written (a read-only mount, a full disk): found now, not at the first request.
    sqlite.transaction(() => rewriteUserVersion(sqlite))();
  } catch (err) {
    sqlite.close();
    throw new DatabaseError(`cannot write the database at ${path}: ${(err as Error).message} (can this user write the file and its folder?)`, { cause: err });
  }
  sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  let migrations: MigrationReport;
  try {
    refuseNewerSchema(sqlite);
    const before = appliedMigrations(sqlite);
    migrate(db, { migrationsFolder: migrationsFolder.sqlite });
    const total = appliedMigrations(sqlite);
    migrations = { applied: total - before, total };
  } catch (err) {
    sqlite.close();
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`cannot prepare the database at ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { db, sqlite, migrations, checkFile: fileIdentityCheck(path), close: () => sqlite.close() };
}

/**
 * SQLite opens a file it may not write read-only without a word, and creates its -wal and -shm next to it
 * even so: refuse before opening when the file or its folder (where those go) is not writable.
 */
function refuseReadOnly(path: string): void {
  for (const target of [path, dirname(path)]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      throw new DatabaseError(`cannot write the database at ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'} on ${target} (can this user write the file and its folder?)`, { cause: err });
    }
  }
}

/** A write that changes nothing (user_version rewritten as it is): a page really goes to the WAL. */
export function rewriteUserVersion(sqlite: Database.Database): void {
  sqlite.pragma(`user_version = ${Number(sqlite.pragma('user_version', { simple: true }))}`);
}

/** Compares the path's device and inode with those at open: one stat, cheap enough for every group commit. */
function fileIdentityCheck(path: string): () => void {
  if (path === ':memory:') return () => {};
  const opened = statSync(path);
  return () => {
    const now = statSync(path, { throwIfNoEntry: false });
    if (!now || now.ino !== opened.ino || now.dev !== opened.dev) {
      throw new DatabaseUnusable('the database file at the configured path was removed or replaced while running: restart campus-sts');
    }
  };
}

interface JournalEntry {
  when: number;
  tag: string;
}

const hasMigrationsTable = (sqlite: Database.Database): boolean =>
  sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get() !== undefined;

/** The migrations drizzle has recorded as applied (one row each). */
function appliedMigrations(sqlite: Database.Database): number {
  return hasMigrationsTable(sqlite) ? (sqlite.prepare('SELECT COUNT(*) AS n FROM __drizzle_migrations').get() as { n: number }).n : 0;
}

/** drizzle records each applied migration's `created_at` (the journal's `when`); a later one is not ours. */
function refuseNewerSchema(sqlite: Database.Database): void {
  if (!hasMigrationsTable(sqlite)) return;
  const applied = sqlite.prepare('SELECT MAX(created_at) AS latest FROM __drizzle_migrations').get() as { latest: number | null };
  const journal = JSON.parse(readFileSync(join(migrationsFolder.sqlite, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const known = Math.max(...journal.entries.map((e) => e.when));
  if (applied.latest !== null && Number(applied.latest) > known) {
    throw new DatabaseError(
      `the database schema is newer than this campus-sts (migration of ${new Date(Number(applied.latest)).toISOString()}); ` +
        'run the campus-sts version that wrote it, or a newer one',
    );
  }
}
