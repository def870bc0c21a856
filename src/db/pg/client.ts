import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { migrationsFolder } from '../../core/paths.js';
import { DatabaseError, type MigrationReport } from '../client.js';
import * as schema from '../schema-pg/index.js';

export type PgSchema = typeof schema;
/** drizzle over the pool (reads outside a transaction) or over the one connection of a transaction (`pgOf`). */
export type PgDb = NodePgDatabase<PgSchema>;

export interface PgOptions {
  /** `postgres://user@host:port/database`; never logged (it may carry a password). */
  url: string;
  /** Connections this instance keeps at most; one of them carries the group commit. */
  poolSize?: number;
  /** Any statement running longer is cancelled by the server (`statement_timeout`). */
  statementTimeoutMs?: number;
  /** How long to wait for a connection (a new one, or a free one from the pool) before failing the request. */
  connectTimeoutMs?: number;
  /** TLS to the server: off, or verified against the system's CAs or `caFile`. */
  tls?: { caFile?: string | undefined } | undefined;
  /** The schema the tables live in (`search_path`); tests give each run its own. */
  schema?: string;
}

export interface PgDatabase {
  readonly engine: 'postgres';
  readonly db: PgDb;
  readonly pool: pg.Pool;
  /** The migrations this open applied (under the migration lock: another instance's count as done before). */
  readonly migrations: MigrationReport;
  /** drizzle over one checked-out connection: the group committer's transactions. */
  bind(client: pg.PoolClient): PgDb;
  close(): Promise<void>;
}

/** Session-level advisory lock key: one instance migrates at a time (`pg_advisory_lock`, released after). */
const MIGRATION_LOCK = 0x63_73_74_73_01; // "csts" + 1

/**
 * Connects a pool to PostgreSQL, applies the committed drizzle-kit migrations from `db/postgres/` while holding
 * an advisory lock (so two instances starting together migrate once), and refuses a newer schema.
 */
export async function openPgDatabase(opts: PgOptions): Promise<PgDatabase> {
  const searchPath = opts.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    application_name: 'campus-sts',
    // A statement is sent without waiting for the answer to the one before it on the same connection (each still
    // gets its own answer or error): the group committer's savepoints travel with the statements they guard.
    // pg refuses cursors, query streams and row-mode portals in this mode: this pool must never need them.
    pipeline: true,
    options: `-c search_path=${quoteIdent(searchPath)}`,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    // A transaction left open by a crashed request never holds the write lock for long.
    idle_in_transaction_session_timeout: 60_000,
    ...(opts.tls ? { ssl: { rejectUnauthorized: true, ...(opts.tls.caFile ? { ca: readFileSync(opts.tls.caFile, 'utf8') } : {}) } } : {}),
  });
  // An idle connection the server closed (a restart) is dropped by the pool; without a listener Node would exit.
  pool.on('error', () => {});
  // The same for a checked-out client (the committer's transaction), which the pool does not listen to: the
  // statement in progress, or the next one, fails with the lost connection, and the pool discards the client.
  pool.on('connect', (client) => client.on('error', () => {}));
  const bind = (client: pg.Pool | pg.PoolClient) => drizzle({ client, schema }) as PgDb;
  let migrations: MigrationReport;
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(searchPath)}`);
        await refuseNewerSchema(client, searchPath);
        const before = await appliedMigrations(client, searchPath);
        await migrate(bind(client), { migrationsFolder: migrationsFolder.postgres, migrationsSchema: searchPath });
        const total = await appliedMigrations(client, searchPath);
        migrations = { applied: total - before, total };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`cannot prepare the PostgreSQL database at ${describeTarget(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  return { engine: 'postgres', db: bind(pool), pool, migrations, bind, close: () => pool.end() };
}

/** host:port/database of a URL, without user or password: what a log line or an error may name. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** drizzle's record of applied migrations in `searchPath`, when it exists yet. */
async function migrationsTable(client: pg.PoolClient, searchPath: string): Promise<string | undefined> {
  const table = `${quoteIdent(searchPath)}.__drizzle_migrations`;
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return exists.rows[0]?.t ? table : undefined;
}

async function appliedMigrations(client: pg.PoolClient, searchPath: string): Promise<number> {
  const table = await migrationsTable(client, searchPath);
  if (!table) return 0;
  const { rows } = await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

/** As on SQLite: drizzle records each applied migration's `created_at` (the journal's `when`); a later one is not ours. */
async function refuseNewerSchema(client: pg.PoolClient, searchPath: string): Promise<void> {
  const table = await migrationsTable(client, searchPath);
  if (!table) return;
  const { rows } = await client.query<{ latest: string | null }>(`SELECT MAX(created_at)::text AS latest FROM ${table}`);
  const latest = rows[0]?.latest;
  if (latest === null || latest === undefined) return;
  const journal = JSON.parse(readFileSync(join(migrationsFolder.postgres, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const known = Math.max(...journal.entries.map((e) => e.when));
  if (Number(latest) > known) {
    throw new DatabaseError(
      `the database schema is newer than this campus-sts (migration of ${new Date(Number(latest)).toISOString()}); run the campus-sts version that wrote it, or a newer one`,
    );
  }
}

/** The node-postgres pool or connection under `db`: for the hot statements run as named prepared statements. */
export function pgClientOf(db: PgDb): pg.Pool | pg.PoolClient {
  return (db as unknown as { $client: pg.Pool | pg.PoolClient }).$client;
}
