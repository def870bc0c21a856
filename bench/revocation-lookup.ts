// `node --import tsx bench/revocation-lookup.ts`: what the revocation check costs per request (issue 13), before
// and after it follows the chain. Before: one primary-key lookup of the token's `jti`. After: ONE statement that
// looks up the `jti` and its lineage (up to 8 ids) in revoked_tokens and the subject's cutoff in
// subject_cutoffs (tokens/revocations.ts). Both run against the same seeded tables, in rotation, on SQLite (the
// service's one connection, sequential) and PostgreSQL (the pool: one lookup at a time, then 50 at once on 10
// connections). The tokens looked up are not revoked, as nearly every request's token is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { openPgDatabase } from '../src/db/pg/client.js';
import * as lite from '../src/db/schema/index.js';
import * as pgs from '../src/db/schema-pg/index.js';
import { timeOrderedId } from '../src/core/ids.js';
import { median } from './harness/rotation.js';
import { createRevocations, type RevocationKeys } from '../src/tokens/revocations.js';
import { createPgRevocations } from '../src/tokens/revocations-pg.js';

const URL = process.env.CAMPUS_STS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REVOKED = 100_000;
const CUTOFFS = 10_000;
const ROUNDS = 5;
const SQLITE_LOOKUPS = 50_000;
const PG_LOOKUPS = 2_000;

/** A token to check: never revoked, with `depth` ancestors, of a subject that has no cutoff. */
const token = (depth: number): RevocationKeys => ({
  jti: timeOrderedId(),
  lineage: Array.from({ length: depth }, () => timeOrderedId()),
  sub: `student-${Math.random()}`,
  issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
});

/** `inTransaction`: the lookups of a round run synchronously inside one write transaction it opens. */
type Variant = [name: string, lookup: (t: RevocationKeys) => unknown, inTransaction?: (batch: () => void) => void];

/** Each variant's µs per lookup, sequentially (`concurrency` 1) or `concurrency` at a time, median of the rounds. */
async function rotate(variants: Variant[], lookups: number, concurrency = 1): Promise<Map<string, number>> {
  const samples = new Map(variants.map(([name]) => [name, [] as number[]]));
  const tokens = [0, 2, 8].map((depth) => Array.from({ length: lookups }, () => token(depth)));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, lookup, inTransaction] of variants) {
      const depth = Number(/lineage (\d+)/.exec(name)?.[1] ?? 0);
      const list = tokens[[0, 2, 8].indexOf(depth)]!;
      const start = performance.now();
      let next = 0;
      if (inTransaction) inTransaction(() => list.forEach((t) => void lookup(t)));
      else await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < list.length) await lookup(list[next++]!);
      }));
      samples.get(name)!.push(((performance.now() - start) * 1000) / list.length);
    }
  }
  return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
}

const IN_TRANSACTION = 'after: lineage 0, inside a write transaction';

const seedRows = (now: number) => ({
  revoked: Array.from({ length: REVOKED }, () => ({ jti: timeOrderedId(), clientId: 'alpha', revokedAt: new Date(now), expiresAt: new Date(now + 3_600_000) })),
  cutoffs: Array.from({ length: CUTOFFS }, (_, i) => ({ subject: `cut-${i}`, cutoff: new Date(now), expiresAt: new Date(now + 3_600_000) })),
});

async function onSqlite(): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-bench-revocation-'));
  const database = openDatabase({ path: join(dir, 'sts.sqlite') });
  try {
    const { db } = database;
    const { revoked, cutoffs } = seedRows(Date.now());
    db.transaction((tx) => {
      for (let i = 0; i < revoked.length; i += 1000) tx.insert(lite.revokedTokens).values(revoked.slice(i, i + 1000)).run();
      for (let i = 0; i < cutoffs.length; i += 1000) tx.insert(lite.subjectCutoffs).values(cutoffs.slice(i, i + 1000)).run();
    });
    // Before: the statement `isRevoked(jti)` prepared (commit a7d64d2).
    const before = db.select({ jti: lite.revokedTokens.jti }).from(lite.revokedTokens).where(eq(lite.revokedTokens.jti, sql.placeholder('jti'))).prepare();
    const after = createRevocations(db);
    return await rotate(
      [
        ['before: jti only', async (t) => before.get({ jti: t.jti }) !== undefined],
        ['after: lineage 0', (t) => after.revocationOf(t)],
        ['after: lineage 2', (t) => after.revocationOf(t)],
        ['after: lineage 8', (t) => after.revocationOf(t)],
        // As it would run in the issuing transaction: no read transaction of its own to begin and end.
        [IN_TRANSACTION, (t) => after.revocationOf(t), (batch) => database.sqlite.transaction(batch).immediate()],
      ],
      SQLITE_LOOKUPS,
    );
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(): Promise<{ sequential: Map<string, number>; concurrent: Map<string, number> }> {
  const schema = `bench_revocation_${process.pid}`;
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const database = await openPgDatabase({ url: URL, schema, poolSize: 10 });
  try {
    const { db } = database;
    const { revoked, cutoffs } = seedRows(Date.now());
    for (let i = 0; i < revoked.length; i += 5000) await db.insert(pgs.revokedTokens).values(revoked.slice(i, i + 5000));
    await db.insert(pgs.subjectCutoffs).values(cutoffs);
    await db.execute(sql`ANALYZE`);
    const after = createPgRevocations(db);
    const variants: Variant[] = [
      // Before: `isRevoked(jti)` (commit a7d64d2).
      ['before: jti only', async (t) => (await db.select({ jti: pgs.revokedTokens.jti }).from(pgs.revokedTokens).where(eq(pgs.revokedTokens.jti, t.jti)).limit(1)).length > 0],
      ['after: lineage 0', (t) => after.revocationOf(t)],
      ['after: lineage 2', (t) => after.revocationOf(t)],
      ['after: lineage 8', (t) => after.revocationOf(t)],
    ];
    return { sequential: await rotate(variants, PG_LOOKUPS), concurrent: await rotate(variants, PG_LOOKUPS * 5, 50) };
  } finally {
    await database.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const sqlite = await onSqlite();
const postgres = await onPostgres();
const fmt = (us: number) => us.toFixed(1);
console.log(`revocation check, µs per lookup (median of ${ROUNDS} rounds; ${REVOKED} revoked ids, ${CUTOFFS} subject cutoffs; tokens not revoked)\n`);
console.log('| variant | SQLite, sequential | PostgreSQL, one at a time | PostgreSQL, 50 at once on 10 connections |');
console.log('|---|---:|---:|---:|');
const onPg = (m: Map<string, number>, name: string) => (m.has(name) ? fmt(m.get(name)!) : '—');
for (const name of sqlite.keys()) console.log(`| ${name} | ${fmt(sqlite.get(name)!)} | ${onPg(postgres.sequential, name)} | ${onPg(postgres.concurrent, name)} |`);
