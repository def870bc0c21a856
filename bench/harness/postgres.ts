// The run's own PostgreSQL database (campus_sts_bench_<random>), created for the PostgreSQL scenarios and
// dropped at the end, also on failure and Ctrl-C (harness/cleanup.ts). Each campus-sts child gets a schema of
// its own; instances that are meant to share data share one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { atCleanup } from './cleanup.js';

/** The server: this machine's PostgreSQL, as the tests use it (override for another local cluster). */
const ADMIN_URL = process.env.CAMPUS_STS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** What the durability of the numbers rests on, as the server reports it. */
  settings: { version: string; fsync: string; synchronousCommit: string; walSyncMethod: string };
  /** A fresh schema name for one server (or one group of instances). */
  schema(label: string): string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `campus_sts_bench_${randomBytes(5).toString('hex')}`;
  await admin(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    // Durable whatever postgresql.conf says: each commit waits for its WAL flush, like SQLite's synchronous FULL.
    await c.query(`ALTER DATABASE ${name} SET synchronous_commit = on`);
  });
  const dropDatabase = () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined);
  const unregister = atCleanup(dropDatabase);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  let settings: BenchDatabase['settings'];
  try {
    settings = await readSettings(url.toString());
  } catch (err) {
    unregister();
    await dropDatabase();
    throw err;
  }
  let schemas = 0;
  return {
    url: url.toString(),
    settings,
    schema: (label) => `${label.replace(/[^a-z0-9]+/g, '_')}_${++schemas}`,
    async drop() {
      unregister();
      await dropDatabase();
    },
  };
}

async function admin<T>(use: (c: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await use(c);
  } finally {
    await c.end();
  }
}

function readSettings(url: string): Promise<BenchDatabase['settings']> {
  return admin(async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method')",
    );
    const get = (n: string) => rows.find((r) => r.name === n)?.setting ?? 'unknown';
    return { version: get('server_version').split(' ')[0]!, fsync: get('fsync'), synchronousCommit: get('synchronous_commit'), walSyncMethod: get('wal_sync_method') };
  }, url);
}
