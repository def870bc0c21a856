import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashRow } from '../../src/audit/chain.js';
import { runCli } from '../../src/cli/main.js';
import { createLogger } from '../../src/core/logger.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { ISSUER, startTestService, type TestService } from '../helpers/service.js';

/**
 * Signed checkpoints: periodic and on demand, published at /audit/checkpoints/latest and recorded in the log,
 * verifiable with the JWKS; `audit verify` uses them to catch what the chain alone cannot: a truncated tail,
 * and history rewritten with every hash recomputed.
 */
let s: TestService;
let config: string;
beforeEach(async () => {
  s = await startTestService({ overrides: { admin: { audit: { checkpoint_interval_seconds: 0 } } } });
  config = writeConfigFile(s);
  await issueRows(4);
});
afterEach(() => s.stop());

const cli = (args: string[]) => captureCli((io) => runCli(args, io, s.clock), s.env);

/** Rows as the token endpoint writes them (cheaper than real requests, which each verify a client secret). */
async function issueRows(n: number): Promise<void> {
  await s.audit.commit(async (tx) => {
    for (let i = 0; i < n; i++) {
      await s.audit.append(tx, { event: 'token.issue', outcome: 'success', clientId: 'alpha', audience: ['https://sis.example.edu'], scope: ['student.read'], jti: randomUUID(), data: { grant_type: 'client_credentials', expires_in: 300 } });
    }
  });
}
const verify = (...extra: string[]) => cli(['audit', 'verify', '--config', config, ...extra]);

describe('making checkpoints', () => {
  it('runs periodically, skipping a tick when nothing but its own row is new, and signing once per interval', async () => {
    let tick: (() => Promise<void>) | undefined;
    const stop = s.admin.checkpoints.schedule(600, createLogger('silent'), (ms, fn) => {
      expect(ms).toBe(600_000);
      tick = fn;
      return () => (tick = undefined);
    });
    await tick!();
    expect(s.lastAudit()).toMatchObject({ event: 'audit.checkpoint', outcome: 'success' });
    expect(JSON.parse(s.lastAudit().data!)).toMatchObject({ trigger: 'periodic', last_id: s.lastAudit().id - 1, rows: s.lastAudit().id - 1 });
    const count = s.auditRows().length;
    await tick!();
    expect(s.auditRows().length).toBe(count);
    await issueRows(1);
    // New rows, but this interval is signed (by this instance or another on the same database): the next signs them.
    s.clock.advance(599_999);
    await tick!();
    expect(await s.admin.checkpoints.list()).toHaveLength(1);
    s.clock.advance(1);
    await tick!();
    expect(await s.admin.checkpoints.list()).toHaveLength(2);
    stop();
    expect(tick).toBeUndefined();
  });

  it('publishes the latest at /audit/checkpoints/latest, a JWS that verifies with the JWKS', async () => {
    expect((await s.app.request('/audit/checkpoints/latest')).status).toBe(404);
    const r = await cli(['audit', 'checkpoint', '--config', config]);
    expect(r.code).toBe(0);
    const res = await s.app.request('/audit/checkpoints/latest');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwt');
    const jws = await res.text();
    const header = decodeProtectedHeader(jws);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'campus-sts-audit-checkpoint+jwt' });
    const jwks = createLocalJWKSet((await (await s.app.request('/jwks.json')).json()) as never);
    const { payload } = await jwtVerify(jws, jwks, { issuer: ISSUER, typ: 'campus-sts-audit-checkpoint+jwt' });
    const covered = s.auditRows().find((row) => row.id === payload.last_id)!;
    expect(payload).toEqual({ iss: ISSUER, iat: expect.any(Number), last_id: covered.id, head_hash: covered.hash, first_id: 1, rows: covered.id });
    expect(r.out).toBe(`checkpoint 1: row ${covered.id}, head ${covered.hash}, signed with key ${header.kid}`);
    // An access-token verifier must never accept it: its typ is not at+jwt and it has no audience.
    await expect(jwtVerify(jws, jwks, { typ: 'at+jwt' })).rejects.toThrow();
  });

  it('refuses to sign over a chain that no longer verifies', async () => {
    await s.admin.checkpoints.create('cli');
    await issueRows(1);
    s.sqlite.sqlite.exec(`UPDATE audit_log SET subject = 'mallory' WHERE id = ${s.lastAudit().id}`);
    const r = await cli(['audit', 'checkpoint', '--config', config]);
    expect(r).toMatchObject({ code: 1, err: `campus-sts audit checkpoint: audit chain broken at row ${s.lastAudit().id}: row ${s.lastAudit().id} was edited: its content does not match its hash` });
    expect(await s.admin.checkpoints.list()).toHaveLength(1);
  });

  it('old checkpoints still verify after the signing key is rotated', async () => {
    await s.admin.checkpoints.create('cli');
    expect((await cli(['keys', 'rotate', '--config', config])).code).toBe(0);
    s.clock.advance(3_600_000);
    await s.admin.checkpoints.create('cli');
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/checkpoints: 2 checked; latest covers row \d+/);
  });
});

describe('audit verify with checkpoints', () => {
  it('detects a truncated tail that the chain alone cannot see', async () => {
    const cp = (await s.admin.checkpoints.create('cli'))!;
    await issueRows(1);
    // Cut the log back to before the checkpointed row (and its own checkpoint row): what remains still links.
    s.sqlite.sqlite.exec(`DELETE FROM audit_log WHERE id > ${cp.lastId - 2}`);
    expect(await s.audit.verify()).toMatchObject({ ok: true });
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^audit chain intact: /);
    expect(r.err).toBe(`checkpoint 1 (row ${cp.lastId}): the log ends at row ${cp.lastId - 2}, so rows up to ${cp.lastId} were removed (tail truncated)`);
  });

  it('detects it even when the checkpoints table went too, given a checkpoint saved from the endpoint', async () => {
    const cp = (await s.admin.checkpoints.create('cli'))!;
    const saved = join(s.dir, 'latest.jws');
    writeFileSync(saved, await (await s.app.request('/audit/checkpoints/latest')).text());
    s.sqlite.sqlite.exec(`DELETE FROM audit_log WHERE id > ${cp.lastId - 1}; DELETE FROM audit_checkpoints`);
    expect((await verify()).code).toBe(0);
    const r = await verify('--checkpoint', saved);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`given checkpoint 1 (row ${cp.lastId}): the log ends at row ${cp.lastId - 1}, so rows up to ${cp.lastId} were removed (tail truncated)`);
  });

  it('detects history rewritten with every hash recomputed', async () => {
    const cp = (await s.admin.checkpoints.create('cli'))!;
    // Rewrite row 3 and re-chain everything after it: the chain verifies, the signed head hash does not match.
    const rows = s.auditRows();
    let prev = rows[1]!.hash;
    for (const row of rows.slice(2)) {
      const next = { ...row, subject: row.id === 3 ? 'mallory' : row.subject, prevHash: prev };
      const hash = hashRow(next);
      s.sqlite.sqlite.prepare('UPDATE audit_log SET subject = ?, prev_hash = ?, hash = ? WHERE id = ?').run(next.subject, prev, hash, row.id);
      prev = hash;
    }
    expect(await s.audit.verify()).toMatchObject({ ok: true });
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toBe(`checkpoint 1 (row ${cp.lastId}): row ${cp.lastId} no longer has the hash that was signed`);
  });

  it('detects a checkpoint row edited in its table (the signature covers the values)', async () => {
    await s.admin.checkpoints.create('cli');
    s.sqlite.sqlite.exec(`UPDATE audit_checkpoints SET head_hash = '${'a'.repeat(64)}'`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err).toContain('checkpoint 1 (row');
    expect(r.err).toContain('its table row does not match what was signed');
  });

  it('still names the first bad row of a broken chain in the same words as before', async () => {
    const cp = (await s.admin.checkpoints.create('cli'))!;
    s.sqlite.sqlite.exec(`UPDATE audit_log SET outcome = 'refused' WHERE id = 4`);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toEqual(['audit chain broken at row 4: row 4 was edited: its content does not match its hash (3 rows verified before it)']);
    expect(cp.lastId).toBeGreaterThan(4);
  });
});
