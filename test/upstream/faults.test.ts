import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeConnections } from '../../src/upstream/status.js';
import { createConnectionStore } from '../../src/upstream/vault-store.js';
import {
  auditOf,
  CALLBACK,
  connectRecords,
  dataOf,
  startOidcUpstream,
  startWorldService,
  studentToken,
  upstreamSecrets,
  vaultRow,
  vaultTokens,
  viaProxy,
  type OidcUpstream,
  type TestService,
  upstreamOverrides,
} from './world.js';
import { freePort } from '../support/browser/ports.js';

/** The upstream misbehaving, and the vault under pressure: each fault answered cleanly, audited, never leaked. */

let up: OidcUpstream;
const services: TestService[] = [];
beforeAll(async () => {
  up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
});
afterAll(() => up.stop());
afterEach(() => {
  for (const s of services.splice(0)) {
    const audit = JSON.stringify(s.auditRows());
    for (const t of upstreamSecrets(up)) {
      expect(audit).not.toContain(t);
      expect(s.logs.join('')).not.toContain(t);
    }
    s.stop();
  }
  up.faults.length = 0;
});

async function world(extra?: Parameters<typeof upstreamOverrides>[1]) {
  const s = await startWorldService(up, { extra: { sis: { timeout_ms: 400 }, ...extra } });
  services.push(s);
  return s;
}

const body = async (res: Response) => ({ status: res.status, body: await res.json() });
const grants = (type: string) => up.grants[type] ?? 0;

describe('upstream faults become clean JSON errors', () => {
  it('upstream down: 502', async () => {
    const s = await world({ sis: { api_base_url: `http://127.0.0.1:${await freePort()}/api` } });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(await body(res)).toEqual({ status: 502, body: { error: 'temporarily_unavailable', error_description: 'the upstream could not be reached' } });
    const row = auditOf(s, 'upstream.call')[0]!;
    expect(row).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/) });
    expect(dataOf(row)).toMatchObject({ route: 'own-record', status: 502, error: 'bad_gateway' });
  });

  it('token endpoint down: 502, audited as a failed refresh', async () => {
    const s = await world({ sis: { token_url: `http://127.0.0.1:${await freePort()}/token` } });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(await body(res)).toEqual({ status: 502, body: { error: 'temporarily_unavailable', error_description: 'the upstream could not provide credentials' } });
    expect(auditOf(s, 'upstream.refresh')[0]).toMatchObject({ outcome: 'error', reason: 'unavailable: ECONNREFUSED' });
    expect(vaultRow(s, 'sis')).toMatchObject({ lastError: 'unavailable: ECONNREFUSED', leaseOwner: null });
  });

  it.each([
    ['slow (answers after the timeout)', { kind: 'slow' as const, ms: 1500 }],
    ['hanging (never answers)', { kind: 'hang' as const }],
  ])('upstream %s: 504 after timeout_ms', async (_name, fault) => {
    const s = await world();
    const token = await studentToken(s);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    up.faults.push(fault);
    const started = performance.now();
    const res = await viaProxy(s, '/sis/students/S1001', token);
    const took = performance.now() - started;
    expect(await body(res)).toEqual({ status: 504, body: { error: 'temporarily_unavailable', error_description: 'the upstream did not answer in time' } });
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1400);
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status: 504, error: 'timeout' });
  });

  it.each([
    ['stalls', 504, 'stall' as const, 'timeout'],
    ['breaks off', 502, 'drop' as const, 'bad_gateway'],
  ])('a small declared answer that %s midway: %i, audited so, never a truncated 200', async (_name, status, then, error) => {
    const s = await world();
    up.faults.push({ kind: 'cut', then });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(res.status).toBe(status);
    expect((await res.json()).error).toBe('temporarily_unavailable');
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'error' });
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status, error });
  });

  it('upstream 500: 502 without the upstream body', async () => {
    const s = await world();
    up.faults.push({ kind: 'status', status: 500, body: { trace: 'at Database.query (/srv/sis/db.js:42)' } });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(await body(res)).toEqual({ status: 502, body: { error: 'temporarily_unavailable', error_description: 'the upstream API failed' } });
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status: 502, upstream_status: 500, error: 'bad_gateway' });
  });

  it('upstream 429: passed through with Retry-After', async () => {
    const s = await world();
    up.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { error: 'rate_limited' } });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s), { headers: { origin: 'https://survey.example.edu' } });
    expect(await body(res)).toEqual({ status: 429, body: { error: 'rate_limited' } });
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status: 429, upstream_status: 429 });
  });
});

describe('content encoding', () => {
  it('passes on an answer the upstream compressed despite accept-encoding: identity, with its content-encoding', async () => {
    const s = await world();
    up.faults.push({ kind: 'gzip' });
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(JSON.parse(gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8'))).toMatchObject({ student_id: 'S1001', name: 'Ada Lovelace' });
    expect(up.calls.at(-1)?.headers['accept-encoding']).toBe('identity');
  });
});

describe('streaming', () => {
  it('passes the answer on as it arrives, without waiting for the end', async () => {
    const s = await world();
    const token = await studentToken(s);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    up.faults.push({ kind: 'stream', first: 'first part|', rest: 'the rest', gate });
    const res = await viaProxy(s, '/sis/students/S1001', token);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // The upstream has not finished (it waits for `gate`), yet the first bytes are already here.
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first part|');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('the rest');
  });
});

describe('a stale token: one refresh, then success', () => {
  it('client credentials: a 401 re-mints once and retries', async () => {
    const s = await world();
    const token = await studentToken(s);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    const first = up.calls.at(-1)!.token!;
    await up.revokeAccessToken(first);
    const before = grants('client_credentials');
    const res = await viaProxy(s, '/sis/students/S1001', token);
    expect(res.status).toBe(200);
    expect(grants('client_credentials')).toBe(before + 1);
    expect(up.calls.slice(-2).map((c) => c.status)).toEqual([401, 200]);
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status: 200, refreshed: true });
    expect(dataOf(auditOf(s, 'upstream.refresh')[0])).toEqual({ upstream: 'sis', grant: 'client_credentials', expires_in: 3600 });
  });

  it('authorization code: a 401 refreshes once; the rotated refresh token replaces the old one', async () => {
    const s = await world();
    await connectRecords(s);
    const token = await studentToken(s, { aud: ['https://records.campus.test/api'] });
    expect((await viaProxy(s, '/records/students/S1001', token)).status).toBe(200);
    const before = (await vaultTokens(s, 'records'))!;
    await up.revokeAccessToken(before.accessToken!);
    const refreshes = grants('refresh_token');
    expect((await viaProxy(s, '/records/students/S1001', token)).status).toBe(200);
    expect(grants('refresh_token')).toBe(refreshes + 1);
    const after = (await vaultTokens(s, 'records'))!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.version).toBe(before.version + 1);
    expect((await up.findRefreshToken(before.refreshToken!))?.consumed).toBeTruthy();
    expect(dataOf(auditOf(s, 'upstream.refresh')[0])).toEqual({ upstream: 'records', grant: 'authorization_code', expires_in: 3600, rotated: true });
  });

  it('a 401 after the refresh too is a 502, not a loop', async () => {
    const s = await world();
    const token = await studentToken(s);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    const calls = up.calls.length;
    up.faults.push({ kind: 'status', status: 401 }, { kind: 'status', status: 401 });
    const res = await viaProxy(s, '/sis/students/S1001', token);
    expect(await body(res)).toEqual({ status: 502, body: { error: 'temporarily_unavailable', error_description: 'the upstream refused campus-sts credentials' } });
    expect(up.calls.length).toBe(calls + 2);
  });
});

describe('refresh refused with invalid_grant', () => {
  it('marks the connection needs re-authorisation, audited, and never retries', async () => {
    const s = await world();
    await connectRecords(s);
    const conn = (await vaultTokens(s, 'records'))!;
    await (await up.findRefreshToken(conn.refreshToken!))!.destroy();
    s.clock.advance(3600_000);
    const token = await studentToken(s, { aud: ['https://records.campus.test/api'] });
    const errorsBefore = up.grantErrors.length;
    const refreshesBefore = grants('refresh_token');
    const res = await viaProxy(s, '/records/students/S1001', token);
    expect(await body(res)).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'the upstream account needs to be re-authorised by an administrator' } });
    expect(up.grantErrors.slice(errorsBefore)).toEqual(['refresh_token:invalid_grant']);
    const refresh = auditOf(s, 'upstream.refresh')[0]!;
    expect(refresh).toMatchObject({ outcome: 'refused', reason: 'refresh refused by the provider: invalid_grant' });
    expect(dataOf(refresh)).toEqual({ upstream: 'records', grant: 'authorization_code', status: 'needs_reauth', error: 'invalid_grant' });
    // No retry storm: 20 more callers (some concurrent) fail fast without contacting the provider.
    const more = await Promise.all(Array.from({ length: 20 }, () => viaProxy(s, '/records/students/S1001', token)));
    expect(more.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(up.grantErrors.length).toBe(errorsBefore + 1);
    expect(grants('refresh_token')).toBe(refreshesBefore);
    expect(auditOf(s, 'upstream.refresh')).toHaveLength(1);
    const status = describeConnections(s.config.upstreams, await createConnectionStore(s.sqlite.db, s.keyDeps.keyring).rows());
    expect(status.find((x) => x.upstream === 'records')).toMatchObject({ state: 'needs_reauth', last_error: 'refresh refused: invalid_grant' });
    // An admin reconnecting clears it.
    await connectRecords(s);
    expect((await viaProxy(s, '/records/students/S1001', token)).status).toBe(200);
  });
});

describe('single flight', () => {
  it('50 concurrent requests on an expired token: exactly one refresh at the provider', async () => {
    const s = await world();
    await connectRecords(s);
    const token = await studentToken(s, { aud: ['https://records.campus.test/api'], ttlSeconds: 7200 });
    s.clock.advance(3600_000);
    const before = grants('refresh_token');
    const results = await Promise.all(Array.from({ length: 50 }, () => viaProxy(s, '/records/students/S1001', token)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(grants('refresh_token')).toBe(before + 1);
    expect(new Set(up.calls.slice(-50).map((c) => c.token)).size).toBe(1);
    expect(auditOf(s, 'upstream.refresh')).toHaveLength(1);
  });

  it('two instances on one database: the lease lets only one refresh', async () => {
    const a = await world();
    await connectRecords(a);
    const b = await startWorldService(up, { dir: a.dir, env: a.env, extra: { sis: { timeout_ms: 400 } } });
    try {
      const token = await studentToken(a, { aud: ['https://records.campus.test/api'], ttlSeconds: 7200 });
      a.clock.advance(3600_000);
      b.clock.advance(3600_000);
      const before = grants('refresh_token');
      const errors = up.grantErrors.length;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => viaProxy(i % 2 ? a : b, '/records/students/S1001', token)));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(grants('refresh_token')).toBe(before + 1);
      expect(up.grantErrors.slice(errors)).toEqual([]);
    } finally {
      b.close();
    }
  });
});
