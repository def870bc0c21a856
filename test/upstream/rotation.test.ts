import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { ADMIN_TOKEN, adminBrowser, auditOf, dataOf, ISSUER, vaultRow, vaultTokens, viaProxy, type TestService } from './world.js';
import { startVendors, startVendorService, vendorEnv, vendorToken as token, type Vendors, type VendorServiceOptions } from './vendor-world.js';

/**
 * Vendors that rotate refresh tokens, misbehaving: a slow refresh answer, odd values in the answer, credentials
 * regenerated behind campus-sts' back. The rotated refresh token is never lost to any of them, and a dead client
 * credential stops calls upstream until someone fixes it.
 */

let vendors: Vendors;
const services: TestService[] = [];
beforeAll(async () => {
  vendors = await startVendors();
});
afterAll(() => vendors.stop());
afterEach(async () => {
  for (const s of services.splice(0)) {
    const held = await vaultTokens(s, 'apply');
    const leaks = JSON.stringify(s.auditRows()) + s.logs.join('');
    for (const secret of [held?.accessToken, held?.refreshToken, s.env.APPLY_SECRET]) if (secret) expect(leaks).not.toContain(secret);
    s.stop();
  }
  Object.assign(vendors.apply, { tokenDelayMs: 0, answerPatch: {}, refuseWith: undefined });
  vendors.sm.answerPatch = {};
});

async function service(opts: VendorServiceOptions = {}) {
  const s = await startVendorService(vendors, opts);
  services.push(s);
  return s;
}

const body = async (res: Response) => ({ status: res.status, body: await res.json() });
const APPLICATIONS = '/apply/applications/';
const NEEDS_REAUTH = { error: 'temporarily_unavailable', error_description: 'the upstream account needs to be re-authorised by an administrator' };

describe('a refresh slower than timeout_ms is never abandoned', () => {
  it('callers get 504 at timeout_ms; the rotated tokens are stored when the vendor answers; the next call uses them', async () => {
    const { apply } = vendors;
    const s = await service({ apply: { timeout_ms: 300, refresh_timeout_ms: 10_000 } });
    const seeded = (await vaultTokens(s, 'apply'))!;
    const refreshes = apply.refreshes;
    apply.tokenDelayMs = 1200;
    const t = await token(s, 'apply');
    const first = await Promise.all([viaProxy(s, APPLICATIONS, t), viaProxy(s, APPLICATIONS, t)]);
    for (const res of first) expect(await body(res)).toEqual({ status: 504, body: { error: 'temporarily_unavailable', error_description: 'the upstream did not answer in time' } });
    expect(auditOf(s, 'upstream.call').map((r) => dataOf(r))).toEqual(Array(2).fill(expect.objectContaining({ status: 504, error: 'timeout' })));
    // The vendor has already rotated; its answer is still awaited and lands in the vault, sealed and audited.
    await vi.waitFor(async () => expect((await vaultTokens(s, 'apply'))!.version).toBe(seeded.version + 1), { timeout: 10_000, interval: 25 });
    const stored = (await vaultTokens(s, 'apply'))!;
    expect(apply.validRefreshTokens).toEqual(new Set([stored.refreshToken]));
    expect(auditOf(s, 'upstream.refresh').map((r) => [r.outcome, dataOf(r)])).toEqual([['success', { upstream: 'apply', grant: 'refresh_token', expires_in: 7200, rotated: true }]]);
    const second = await viaProxy(s, APPLICATIONS, t);
    expect(second.status).toBe(200);
    expect(apply.requests.at(-1)!.headers.authorization).toBe(`Bearer ${stored.accessToken}`);
    expect(apply.refreshes).toBe(refreshes + 1);
  });
});

describe('odd vendor values never cost a rotated refresh token', () => {
  it.each([
    ['1e20: capped at a year', 1e20, 31_536_000],
    ['the string "3600"', '3600', 3600],
    ['3600.9: whole seconds', 3600.9, 3600],
    ['0: lifetime unknown (used until the upstream answers 401)', 0, undefined],
    ['negative: lifetime unknown', -5, undefined],
    ['missing: lifetime unknown', undefined, undefined],
    ['not a number: lifetime unknown', 'soon', undefined],
  ])('expires_in %s', async (_name, value, seconds) => {
    const { apply } = vendors;
    const s = await service();
    apply.answerPatch = { expires_in: value };
    expect((await viaProxy(s, APPLICATIONS, await token(s, 'apply'))).status).toBe(200);
    expect(apply.validRefreshTokens).toEqual(new Set([(await vaultTokens(s, 'apply'))!.refreshToken]));
    const row = vaultRow(s, 'apply')!;
    expect(row.accessExpiresAt === null ? undefined : (row.accessExpiresAt.getTime() - row.accessObtainedAt!.getTime()) / 1000).toBe(seconds);
    expect(auditOf(s, 'upstream.refresh').map((r) => [r.outcome, dataOf(r)])).toEqual([
      ['success', { upstream: 'apply', grant: 'refresh_token', ...(seconds === undefined ? {} : { expires_in: seconds }), rotated: true }],
    ]);
  });

  it('an unusable access token (token_type "mac") is a 502, yet the rotated refresh token is kept and works', async () => {
    const { apply } = vendors;
    const s = await service();
    apply.answerPatch = { token_type: 'mac' };
    const t = await token(s, 'apply');
    expect(await body(await viaProxy(s, APPLICATIONS, t))).toEqual({ status: 502, body: { error: 'temporarily_unavailable', error_description: 'the upstream could not provide credentials' } });
    const kept = (await vaultTokens(s, 'apply'))!;
    expect(apply.validRefreshTokens).toEqual(new Set([kept.refreshToken]));
    expect(kept).toMatchObject({ status: 'connected', accessToken: undefined });
    const refresh = auditOf(s, 'upstream.refresh')[0]!;
    expect(refresh).toMatchObject({ outcome: 'error', reason: 'malformed: token_type_not_bearer' });
    expect(dataOf(refresh)).toEqual({ upstream: 'apply', grant: 'refresh_token', error: 'token_type_not_bearer', rotated: true });
    apply.answerPatch = {};
    expect((await viaProxy(s, APPLICATIONS, t)).status).toBe(200);
  });

  it('at connect: expires_in 1e20 connects the account (capped), with its audit row', async () => {
    vendors.sm.answerPatch = { expires_in: 1e20 };
    const s = await service();
    const { res } = await adminBrowser(s).navigate(`${ISSUER}/admin/upstreams/surveymonkey/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `admin_token=${ADMIN_TOKEN}`,
    });
    expect(res.status).toBe(200);
    const row = vaultRow(s, 'surveymonkey')!;
    expect(row.accessExpiresAt!.getTime() - row.accessObtainedAt!.getTime()).toBe(31_536_000_000);
    expect(dataOf(auditOf(s, 'upstream.connect')[0])).toEqual({ upstream: 'surveymonkey', method: 'authorization_code', stage: 'callback', actor: 'admin-token', expires_in: 31_536_000 });
  });
});

describe('the vendor refuses our client credentials', () => {
  const status = async (s: TestService) => captureCli((io) => runCli(['upstream', 'status', '--config', writeConfigFile(s), '--json'], io), s.env);

  it('Apply "Generate new credentials": invalid_client needs re-authorisation (audited, status exit 1); callers 503 without calling the vendor', async () => {
    const { apply } = vendors;
    const s = await service();
    const t = await token(s, 'apply');
    expect((await viaProxy(s, APPLICATIONS, t)).status).toBe(200);
    const fresh = apply.generateCredentials();
    expect(await body(await viaProxy(s, APPLICATIONS, t))).toEqual({ status: 503, body: NEEDS_REAUTH });
    const refresh = auditOf(s, 'upstream.refresh')[0]!;
    expect(refresh).toMatchObject({ outcome: 'refused', reason: 'refresh refused by the provider: invalid_client' });
    expect(dataOf(refresh)).toEqual({ upstream: 'apply', grant: 'refresh_token', status: 'needs_reauth', error: 'invalid_client' });
    expect(dataOf(auditOf(s, 'upstream.call')[0])).toMatchObject({ status: 503, error: 'needs_reauth' });
    const cli = await status(s);
    expect(cli.code).toBe(1);
    expect((JSON.parse(cli.out) as { upstream: string }[]).find((c) => c.upstream === 'apply')).toMatchObject({ state: 'needs_reauth', last_error: 'refresh refused: invalid_client' });
    // No more requests to the vendor, API or token endpoint.
    const seen = apply.requests.length;
    const more = await Promise.all(Array.from({ length: 5 }, () => viaProxy(s, APPLICATIONS, t)));
    for (const res of more) expect(await body(res)).toEqual({ status: 503, body: NEEDS_REAUTH });
    expect(apply.requests.length).toBe(seen);
    expect(auditOf(s, 'upstream.refresh')).toHaveLength(2);
    // The new credentials, configured and restarted, connect it again.
    s.close();
    services.pop();
    const s2 = await service({ dir: s.dir, env: { ...s.env, APPLY_SECRET: fresh.clientSecret, APPLY_REFRESH: fresh.refreshToken } });
    expect((await viaProxy(s2, APPLICATIONS, await token(s2, 'apply'))).status).toBe(200);
    expect((await status(s2)).code).toBe(0);
  });

  it('unauthorized_client is the same', async () => {
    vendors.apply.refuseWith = 'unauthorized_client';
    const s = await service();
    expect(await body(await viaProxy(s, APPLICATIONS, await token(s, 'apply')))).toEqual({ status: 503, body: NEEDS_REAUTH });
    expect(vaultRow(s, 'apply')).toMatchObject({ status: 'needs_reauth', lastError: 'refresh refused: unauthorized_client' });
    expect(dataOf(auditOf(s, 'upstream.refresh')[0])).toEqual({ upstream: 'apply', grant: 'refresh_token', status: 'needs_reauth', error: 'unauthorized_client' });
  });

  it('client credentials (Qualtrics, a wrong secret): needs re-authorisation, no retries; a restart with the right secret recovers', async () => {
    const { q } = vendors;
    const s = await service({ env: vendorEnv(vendors, { QUALTRICS_SECRET: 'wrong' }) });
    const t = await token(s, 'qualtrics');
    expect(await body(await viaProxy(s, '/qualtrics/whoami', t))).toEqual({ status: 503, body: NEEDS_REAUTH });
    expect(auditOf(s, 'upstream.refresh')[0]).toMatchObject({ outcome: 'refused', reason: 'refresh refused by the provider: invalid_client' });
    const seen = q.requests.length;
    expect(await body(await viaProxy(s, '/qualtrics/whoami', t))).toEqual({ status: 503, body: NEEDS_REAUTH });
    expect(q.requests.length).toBe(seen);
    expect((await status(s)).code).toBe(1);
    s.close();
    services.pop();
    const s2 = await service({ dir: s.dir, env: { ...s.env, QUALTRICS_SECRET: 'q-secret' } });
    expect((await viaProxy(s2, '/qualtrics/whoami', await token(s2, 'qualtrics'))).status).toBe(200);
    expect((await status(s2)).code).toBe(0);
  });
});
