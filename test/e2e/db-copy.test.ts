import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { asc } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { openPgDatabase } from '../../src/db/pg/client.js';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import * as lite from '../../src/db/schema/index.js';
import * as pgs from '../../src/db/schema-pg/index.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { alphaToken, newClientKey, SECRETS, startTestService, type TestService } from '../helpers/service.js';

/**
 * `campus-sts db copy` moves a real SQLite deployment (tokens, a revocation, a prune anchor, checkpoints, more than
 * one page of audit rows) into a fresh PostgreSQL schema; `audit verify` on the copy then says what it said on
 * SQLite, and a service started on the copy serves with the same signing key and remembers the revocation.
 */
let s: TestService;
let gamma: Awaited<ReturnType<typeof newClientKey>>;
let target: Awaited<ReturnType<typeof createTestSchema>>;
let sqliteConfig: string;
let pgConfig: string;
let keptToken: string;
let revokedToken: string;
let closed = false;

const alpha: [string, string] = ['alpha', SECRETS.alpha];
const cli = (args: string[]) => captureCli((io) => runCli(args, io, s.clock), s.env);

/** Rows as the token endpoint writes them (cheaper than real requests, which each verify a client secret). */
async function issueRows(n: number): Promise<void> {
  await s.audit.commit(async (tx) => {
    for (let i = 0; i < n; i++) {
      await s.audit.append(tx, { event: 'token.issue', outcome: 'success', clientId: 'alpha', audience: ['https://sis.example.edu'], scope: ['student.read'], jti: randomUUID(), data: { grant_type: 'client_credentials', expires_in: 300 } });
    }
  });
}

/** A still-valid and an expired row of every one-time table, and an upstream connection: Dates to the millisecond. */
function seedPendingValues(): void {
  const db = s.sqlite.db;
  const at = (ms: number) => new Date(s.clock.now().getTime() + ms);
  for (const [suffix, expiresAt] of [['valid', at(60_123)], ['expired', at(-1)]] as const) {
    db.insert(lite.launchCodes).values({ codeHash: `code-${suffix}`, surveyId: 'course-eval', jti: randomUUID(), payloadSealed: `v1.sealed-${suffix}`, createdAt: at(-7), expiresAt }).run();
    db.insert(lite.samlRequests).values({ id: `req-${suffix}`, idpId: 'campus', bindingHash: 'b', purpose: 'launch', target: 'course-eval', createdAt: at(-7), expiresAt }).run();
    db.insert(lite.samlAssertions).values({ key: `assertion-${suffix}`, idpEntityId: 'https://idp.example.edu', expiresAt }).run();
    db.insert(lite.usedClientAssertions).values({ key: `jti-${suffix}`, clientId: 'gamma', expiresAt }).run();
    db.insert(lite.subjectCutoffs).values({ subject: `student-${suffix}`, cutoff: at(-3_600_000), expiresAt }).run();
    db.insert(lite.upstreamAuthStates).values({ stateHash: `state-${suffix}`, upstreamId: 'qualtrics', bindingHash: 'b', keyId: 'k', codeVerifierSealed: `v1.verifier-${suffix}`, redirectUri: 'https://sts.example.edu/cb', actor: 'admin@example.edu', createdAt: at(-7), expiresAt }).run();
    db.insert(lite.adminSessions).values({ idHash: `session-${suffix}`, subject: 'auditor@example.edu', role: 'auditor', idpId: 'campus', csrfToken: 'c', createdAt: at(-9), lastSeenAt: at(-5), idleExpiresAt: expiresAt, expiresAt }).run();
  }
  db.insert(lite.upstreamConnections)
    .values({ upstreamId: 'qualtrics', status: 'connected', keyId: 'k', accessTokenSealed: 'v1.access', refreshTokenSealed: null, accessExpiresAt: at(3_600_001), accessObtainedAt: at(-3), scope: 'read:surveys', accessUrl: null, seedHash: null, version: 4, leaseOwner: null, leaseUntil: null, lastError: 'timeout', lastErrorAt: at(-999), connectedAt: at(-86_400_007), updatedAt: at(-3) })
    .run();
}

/** Every row of every table on both sides, ordered by key; on SQLite only the one-time values still valid at `now`. */
async function bothSides(now: Date) {
  const sqlite = new Database(s.config.database.path, { readonly: true });
  const pg = await openPgDatabase({ url: target.url, schema: target.schema, poolSize: 2 });
  try {
    const pgTables = new Map((Object.values(pgs) as unknown[]).filter((t): t is PgTable => t instanceof PgTable).map((t) => [pgTableConfig(t).name, t]));
    const result: Record<string, { sqlite: Record<string, unknown>[]; pg: Record<string, unknown>[] }> = {};
    for (const table of (Object.values(lite) as unknown[]).filter((t): t is SQLiteTable => t instanceof SQLiteTable)) {
      const { name, columns } = getTableConfig(table);
      const key = columns.find((c) => c.primary)!;
      const pgTable = pgTables.get(name)!;
      const fromSqlite = (drizzle(sqlite).select().from(table).orderBy(asc(key)).all() as Record<string, unknown>[]).filter((r) => !('expiresAt' in r) || (r.expiresAt as Date) > now);
      const pgKey = pgTableConfig(pgTable).columns.find((c) => c.name === key.name)!;
      result[name] = { sqlite: fromSqlite, pg: (await pg.db.select().from(pgTable).orderBy(asc(pgKey))) as Record<string, unknown>[] };
    }
    return result;
  } finally {
    sqlite.close();
    await pg.close();
  }
}

beforeAll(async () => {
  gamma = await newClientKey();
  s = await startTestService({ gamma, startAt: '2025-01-01T09:00:00Z', overrides: { admin: { audit: { retention_days: 365, checkpoint_interval_seconds: 0 } } } });
  sqliteConfig = writeConfigFile(s);
  // Revoked long ago: expired, so no longer a value worth moving.
  await s.post('/revoke', { token: await alphaToken(s) }, alpha);
  await issueRows(1_200);
  await s.admin.checkpoints.create('cli');
  s.clock.advance(400 * 86_400_000);
  await issueRows(1_100);
  expect((await cli(['audit', 'prune', '--config', sqliteConfig])).code).toBe(0);
  keptToken = await alphaToken(s);
  revokedToken = await alphaToken(s);
  await s.post('/revoke', { token: revokedToken }, alpha);
  await s.admin.checkpoints.create('cli');
  await issueRows(3);
  seedPendingValues();
  target = await createTestSchema();
  pgConfig = join(s.dir, 'campus-sts-pg.yaml');
  writeFileSync(pgConfig, stringify({ ...s.config, database: { ...s.config.database, url: target.url, schema: target.schema } }));
}, 60_000);

afterAll(async () => {
  if (!closed) await s.close();
  rmSync(s.dir, { recursive: true, force: true });
  await target.drop();
});

describe('campus-sts db copy', () => {
  it('copies every table in one transaction; audit verify says on PostgreSQL what it said on SQLite', async () => {
    const onSqlite = await cli(['audit', 'verify', '--config', sqliteConfig]);
    expect(onSqlite).toMatchObject({ code: 0, err: '' });
    expect(onSqlite.out).toContain('anchor: the chain starts at row');
    expect(onSqlite.out).toContain('checkpoints: 1 checked, 1 older than the anchor');
    const rows = s.auditRows();
    const head = rows.at(-1)!;
    // As an operator would: rows written after the copy began would not move.
    await s.close();
    closed = true;

    const r = await cli(['db', 'copy', '--from', s.config.database.path, '--to', target.url, '--config', pgConfig]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`(schema ${target.schema}) in one transaction:`);
    expect(r.out).toContain(`  audit_log: ${rows.length} rows`);
    expect(r.out).toContain('  audit_anchor: 1 row\n');
    expect(r.out).toContain('  audit_checkpoints: 2 rows\n');
    expect(r.out).toContain('  signing_keys: 1 row\n');
    // Only the recent revocation is still valid; the old one has expired.
    expect(r.out).toContain('  revoked_tokens: 1 row\n');
    expect(r.out).toContain('  launch_codes: 1 row\n');
    expect(r.out).toContain('  subject_cutoffs: 1 row\n');
    expect(r.out).toContain('  upstream_connections: 1 row\n');
    expect(r.out).toContain(`audit chain: ${rows.length} rows, up to row ${head.id}, head ${head.hash}`);
    // Row by row, column by column: timestamps (epoch ms in SQLite, timestamptz in PostgreSQL) come back equal.
    const tables = await bothSides(s.clock.now());
    expect(Object.keys(tables)).toHaveLength(14);
    for (const [name, { sqlite, pg }] of Object.entries(tables)) expect(pg, name).toEqual(sqlite);
    expect(tables.admin_sessions!.pg.map((r) => r.idHash)).toEqual(['session-valid']);

    const onPg = await cli(['audit', 'verify', '--config', pgConfig]);
    expect(onPg).toMatchObject({ code: 0, err: '' });
    expect(onPg.out).toBe(onSqlite.out);
    expect(onPg.out.split('\n')[0]).toBe(`audit chain intact: ${rows.length} rows, up to row ${head.id}, head ${head.hash}`);
  });

  it('refuses a target that already holds campus-sts rows', async () => {
    const r = await cli(['db', 'copy', '--from', s.config.database.path, '--to', target.url, '--config', pgConfig]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^campus-sts db copy: the target already holds campus-sts data \(audit_log, audit_anchor, audit_checkpoints, signing_keys, .*\); db copy fills an empty database only$/);
  });

  it('serves from the copy: same signing key (sealed values opened by the same master key), revocations, checkpoint ids', async () => {
    const pg = await startTestService({ postgres: target, env: s.env, gamma, startAt: s.clock.now() });
    try {
      const active = async (token: string) => ((await (await pg.post('/introspect', { token }, alpha)).json()) as { active: boolean }).active;
      expect(await active(keptToken)).toBe(true);
      expect(await active(revokedToken)).toBe(false);
      expect(await active(await alphaToken(pg))).toBe(true);
      // The checkpoint sequence was moved past the copied ids.
      const cp = await cli(['audit', 'checkpoint', '--config', pgConfig]);
      expect(cp).toMatchObject({ code: 0, err: '' });
      expect(cp.out).toMatch(/^checkpoint 3: row \d+, head [0-9a-f]{64}, signed with key /);
      expect((await cli(['audit', 'verify', '--config', pgConfig])).code).toBe(0);
    } finally {
      await pg.close();
      rmSync(pg.dir, { recursive: true, force: true });
    }
  });
});
