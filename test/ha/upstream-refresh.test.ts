import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestService } from '../helpers/service.js';
import { ISSUER, viaProxy } from '../upstream/world.js';
import { APPLY, startVendors, vendorEnv, vendorOverrides, vendorToken, type Vendors } from '../upstream/vendor-world.js';
import { auditRowsOf, startInstances, type Instances } from './pg-instances.js';

/**
 * The upstream vault on two instances: one refresh at the vendor however many calls on however many instances
 * need it (a lease in the connection row), the others waiting for the token it stores, and the vendor's rotated
 * refresh token committed before anyone uses what came with it. Vendors: the fakes of test/upstream/ (Apply
 * rotates refresh tokens, single use, no grace period; Qualtrics is client credentials).
 */

const CALLS_PER_INSTANCE = 50;
let vendors: Vendors;
let cluster: Instances;
let a: TestService;
let b: TestService;
beforeAll(async () => {
  vendors = await startVendors();
});
afterAll(() => vendors.stop());
beforeEach(async () => {
  cluster = await startInstances(2, { env: vendorEnv(vendors), overrides: vendorOverrides(vendors), startAt: new Date() });
  [a, b] = cluster.all as [TestService, TestService];
});
afterEach(async () => {
  vendors.apply.tokenDelayMs = 0;
  await cluster.stop();
});

const vault = (s: TestService, id: string) => s.engine.stores.upstreamConnections.read(id);
const refreshMetric = async (s: TestService, id: string) =>
  new RegExp(`^campus_sts_upstream_refreshes_total\\{upstream="${id}",outcome="success"\\} (\\d+)$`, 'm').exec(await (await s.app.request(`${ISSUER}/metrics`)).text())?.[1] ?? '0';

/** CALLS_PER_INSTANCE proxied calls on each instance at once, interleaved. */
async function burst(path: string, aud: string): Promise<number[]> {
  const tokens = [await vendorToken(a, aud), await vendorToken(b, aud)];
  const calls = Array.from({ length: CALLS_PER_INSTANCE }, () => [viaProxy(a, path, tokens[0]), viaProxy(b, path, tokens[1])]).flat();
  return (await Promise.all(calls)).map((res) => res.status);
}

describe('upstream refresh across instances', () => {
  it('2 × 50 calls at access-token expiry: one refresh, every call with the new token, the rotated refresh token stored first', async () => {
    const { apply } = vendors;
    const isRefresh = (r: { url: string }) => r.url === '/api/o/token/';
    // The seed imported at start (once for both), exchanged on first use.
    expect((await viaProxy(a, '/apply/applications/', await vendorToken(a, 'apply'))).status).toBe(200);
    const before = (await vault(b, 'apply'))!;
    expect(apply.validRefreshTokens).toEqual(new Set([before.refreshToken]));

    // The access token's lifetime (7200 s) has run out on both; the vendor takes its time answering the refresh.
    cluster.advance(7200_000);
    apply.tokenDelayMs = 300;
    const seen = apply.requests.length;
    expect(await burst('/apply/applications/', 'apply')).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(200));
    apply.tokenDelayMs = 0;

    const sent = apply.requests.slice(seen);
    const refreshes = sent.filter(isRefresh);
    expect(refreshes).toHaveLength(1);
    expect(new URLSearchParams(refreshes[0]!.body).get('refresh_token')).toBe(before.refreshToken);
    const after = (await vault(a, 'apply'))!;
    expect(after).toMatchObject({ status: 'connected', version: before.version + 1 });
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(apply.validRefreshTokens).toEqual(new Set([after.refreshToken]));
    expect(sent.filter((r) => !isRefresh(r)).map((r) => r.headers.authorization)).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(`Bearer ${after.accessToken}`));
    expect((await auditRowsOf(a, 'upstream.refresh')).map((r) => [r.outcome, r.data])).toEqual(
      Array(2).fill(['success', JSON.stringify({ upstream: 'apply', grant: 'refresh_token', expires_in: 7200, rotated: true })]),
    );
    expect([await refreshMetric(a, 'apply'), await refreshMetric(b, 'apply')].map(Number).reduce((x, y) => x + y)).toBe(2);

    // The next expiry: whichever instance refreshes presents the rotated token it stored, and the vendor takes it.
    cluster.advance(7200_000);
    const next = apply.requests.length;
    expect((await viaProxy(b, '/apply/applications/', await vendorToken(b, 'apply'))).status).toBe(200);
    const nextRefreshes = apply.requests.slice(next).filter(isRefresh);
    expect(nextRefreshes.map((r) => new URLSearchParams(r.body).get('refresh_token'))).toEqual([after.refreshToken]);
    expect(apply.validRefreshTokens).toEqual(new Set([(await vault(b, 'apply'))!.refreshToken]));
  });

  it('2 × 50 calls whose access token the vendor revoked early (401): one refresh, each call retried once with the new token', async () => {
    const { apply } = vendors;
    expect((await viaProxy(a, '/apply/applications/', await vendorToken(a, 'apply'))).status).toBe(200);
    const before = (await vault(a, 'apply'))!;
    const revoke = await fetch(`${apply.origin}/api/o/revoke_token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: APPLY.id, client_secret: a.env.APPLY_SECRET, token: before.accessToken, token_hint: 'access_token' }),
    });
    expect(revoke.status).toBe(200);
    // Slow enough that every call has presented the revoked token before the new one is stored.
    apply.tokenDelayMs = 1000;
    const seen = apply.requests.length;
    expect(await burst('/apply/applications/', 'apply')).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(200));

    const sent = apply.requests.slice(seen).filter((r) => !r.url.startsWith('/api/o/revoke_token/'));
    expect(sent.filter((r) => r.url === '/api/o/token/')).toHaveLength(1);
    const after = (await vault(b, 'apply'))!;
    expect(after.version).toBe(before.version + 1);
    const presented = sent.filter((r) => r.url === '/api/applications/').map((r) => r.headers.authorization);
    expect(presented.toSorted()).toEqual([...Array(2 * CALLS_PER_INSTANCE).fill(`Bearer ${before.accessToken}`), ...Array(2 * CALLS_PER_INSTANCE).fill(`Bearer ${after.accessToken}`)].toSorted());
    const calls = (await auditRowsOf(a, 'upstream.call')).slice(-2 * CALLS_PER_INSTANCE).map((r) => JSON.parse(r.data!) as Record<string, unknown>);
    expect(calls).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(expect.objectContaining({ status: 200, upstream_status: 200, refreshed: true })));
    expect(apply.validRefreshTokens).toEqual(new Set([after.refreshToken]));
  });

  it('2 × 50 first calls to a client-credentials upstream: one token request, every call with that token', async () => {
    const { q } = vendors;
    const issued = q.issued.length;
    expect(await burst('/qualtrics/whoami', 'qualtrics')).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(200));
    expect(q.issued.length).toBe(issued + 1);
    const stored = (await vault(b, 'qualtrics'))!;
    expect(stored.accessToken).toBe(q.issued.at(-1));
    const apiCalls = q.requests.filter((r) => r.url === '/API/v3/whoami').slice(-2 * CALLS_PER_INSTANCE);
    expect(apiCalls.map((r) => r.headers.authorization)).toEqual(Array(2 * CALLS_PER_INSTANCE).fill(`Bearer ${stored.accessToken}`));
    expect((await auditRowsOf(a, 'upstream.connect')).map((r) => [r.outcome, r.data])).toEqual([
      ['success', JSON.stringify({ upstream: 'apply', method: 'seed' })],
      ['success', JSON.stringify({ upstream: 'qualtrics', method: 'client_credentials', expires_in: 86400 })],
    ]);
  });
});
