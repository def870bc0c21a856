// `node --import tsx bench/pg-drivers.ts`: the measurement behind the PostgreSQL driver choice (issue 12). Both
// drivers run campus-sts's two kinds of PostgreSQL work through drizzle, alternately, in one process: the group
// commit (a transaction of 25 changes, each a savepoint, a head read and an insert, as the audit append does) and
// concurrent single-row reads from a pool (the revocation lookup), 50 at a time on 10 connections.
import pg from 'pg';
import postgres from 'postgres';
import { desc, eq, sql } from 'drizzle-orm';
import { drizzle as onNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as onPostgresJs } from 'drizzle-orm/postgres-js';
import { bigint, pgTable, text } from 'drizzle-orm/pg-core';

const URL = process.env.CAMPUS_STS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `bench_drivers_${process.pid}`;
const rows = pgTable('chain', { id: bigint('id', { mode: 'number' }).primaryKey(), hash: text('hash').notNull() });
const revoked = pgTable('revoked', { jti: text('jti').primaryKey() });

type Db = ReturnType<typeof onNodePostgres>;

async function measure(db: Db, transaction: (fn: (tx: Db) => Promise<void>) => Promise<void>) {
  let id = 0;
  const writesStart = performance.now();
  for (let batch = 0; batch < 200; batch++) {
    await transaction(async (tx) => {
      for (let i = 0; i < 25; i++) {
        await tx.execute(sql`SAVEPOINT change`);
        await tx.select().from(rows).orderBy(desc(rows.id)).limit(1);
        await tx.insert(rows).values({ id: ++id, hash: `h${id}` });
        await tx.execute(sql`RELEASE SAVEPOINT change`);
      }
    });
  }
  const writes = (id / (performance.now() - writesStart)) * 1000;
  const readsStart = performance.now();
  await Promise.all(Array.from({ length: 50 }, async (_, k) => {
    for (let i = 0; i < 200; i++) await db.select().from(revoked).where(eq(revoked.jti, `j${k}-${i}`));
  }));
  const reads = (10_000 / (performance.now() - readsStart)) * 1000;
  await db.execute(sql`TRUNCATE chain`);
  return { writes, reads };
}

const admin = new pg.Client({ connectionString: URL });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.chain (id bigint PRIMARY KEY, hash text NOT NULL); CREATE TABLE ${schema}.revoked (jti text PRIMARY KEY)`);
try {
  const results: Record<string, { writes: number[]; reads: number[] }> = { 'node-postgres (pg)': { writes: [], reads: [] }, 'postgres.js': { writes: [], reads: [] } };
  for (let round = 0; round < 3; round++) {
    const pool = new pg.Pool({ connectionString: URL, max: 10, options: `-c search_path=${schema}` });
    const a = onNodePostgres(pool);
    const r1 = await measure(a, (fn) => a.transaction(fn as never));
    await pool.end();
    const client = postgres(URL, { max: 10, connection: { search_path: schema }, onnotice: () => {} });
    const b = onPostgresJs(client) as unknown as Db;
    const r2 = await measure(b, (fn) => b.transaction(fn as never));
    await client.end();
    for (const [name, r] of [['node-postgres (pg)', r1], ['postgres.js', r2]] as const) {
      results[name]!.writes.push(r.writes);
      results[name]!.reads.push(r.reads);
    }
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
  console.log('| driver | group-commit writes/s (median of 3) | pooled reads/s at 50 concurrent (median of 3) |\n|---|---:|---:|');
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${Math.round(median(r.writes))} | ${Math.round(median(r.reads))} |`);
} finally {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
