import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQualtricsProvider } from '../../src/upstream/providers/qualtrics.js';
import type { ApplyFake, QualtricsFake, SurveyMonkeyFake } from '../support/oauth/vendors.js';
import { APPLY, QUALTRICS, SM, startVendors, startVendorService, vendorEnv, vendorToken as token, type Vendors, type VendorServiceOptions } from './vendor-world.js';
import { ADMIN_TOKEN, adminBrowser, auditOf, dataOf, ISSUER, vaultRow, vaultTokens, viaProxy, type TestService } from './world.js';

/**
 * The provider presets against servers shaped like each vendor's documentation: client authentication and body
 * encoding as the vendor wants them, lifetimes as the vendor states them, and the vendor's error shapes.
 */

let vendors: Vendors;
let q: QualtricsFake;
let sm: SurveyMonkeyFake;
let apply: ApplyFake;
const services: TestService[] = [];
beforeAll(async () => {
  vendors = await startVendors();
  ({ q, sm, apply } = vendors);
});
afterAll(() => vendors.stop());
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

async function service(opts: VendorServiceOptions = {}) {
  const s = await startVendorService(vendors, opts);
  services.push(s);
  return s;
}

describe('qualtrics', () => {
  it('client credentials with HTTP Basic at /oauth2/token on the data-centre host; expires_in honoured, not assumed', async () => {
    q.expiresIn = 86400;
    const s = await service();
    const res = await viaProxy(s, '/qualtrics/whoami', await token(s, 'qualtrics'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: { userId: 'UR_123' }, meta: { httpStatus: '200 - OK' } });
    const [tokenReq, apiReq] = q.requests.slice(-2);
    expect(tokenReq).toMatchObject({ method: 'POST', url: '/oauth2/token' });
    expect(tokenReq!.headers.authorization).toBe(`Basic ${Buffer.from(`${QUALTRICS.id}:${QUALTRICS.secret}`).toString('base64')}`);
    expect(tokenReq!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenReq!.body))).toEqual({ grant_type: 'client_credentials', scope: 'read:surveys read:survey_responses' });
    expect(apiReq).toMatchObject({ method: 'GET', url: '/API/v3/whoami' });
    expect(apiReq!.headers.authorization).toBe(`Bearer ${q.issued.at(-1)}`);
    const row = vaultRow(s, 'qualtrics')!;
    expect(row.accessExpiresAt!.getTime() - row.accessObtainedAt!.getTime()).toBe(86_400_000);
    // Still valid after an hour (nothing hard-codes one); renewed before the day is over.
    const tokens = q.issued.length;
    s.clock.advance(3600_000 * 2);
    await viaProxy(s, '/qualtrics/whoami', await token(s, 'qualtrics'));
    expect(q.issued.length).toBe(tokens);
    s.clock.advance(86_400_000 - 7200_000 - 30_000);
    await viaProxy(s, '/qualtrics/whoami', await token(s, 'qualtrics'));
    expect(q.issued.length).toBe(tokens + 1);
  });

  it('builds the data-centre host and the authorization URL (redirect_uri left unencoded, PKCE S256)', () => {
    const p = createQualtricsProvider({ id: 'q', provider: 'qualtrics', datacenter: 'ca1', grant: 'authorization_code', client_id: 'cid', scopes: ['manage:all'], timeout_ms: 1000, refresh_timeout_ms: 30_000, refresh_skew_seconds: 60, cors_origins: [], routes: [] }, { fetch, clientSecret: 's' });
    expect(p.apiBase(null)).toBe('https://ca1.qualtrics.com/API/v3');
    const url = p.authorizationUrl!({ state: 'st', codeChallenge: 'ch', redirectUri: 'https://sts.example.edu/admin/upstreams/q/callback' });
    expect(url).toBe('https://ca1.qualtrics.com/oauth2/auth?response_type=code&client_id=cid&redirect_uri=https://sts.example.edu/admin/upstreams/q/callback&scope=manage%3Aall&state=st&code_challenge=ch&code_challenge_method=S256');
    expect(new URL(url).searchParams.get('redirect_uri')).toBe('https://sts.example.edu/admin/upstreams/q/callback');
  });
});

describe('surveymonkey', () => {
  async function connect(s: TestService) {
    const browser = adminBrowser(s);
    return browser.navigate(`${ISSUER}/admin/upstreams/surveymonkey/connect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `admin_token=${ADMIN_TOKEN}` });
  }

  it('code grant with the secret in the form body; the long-lived token is used on the regional access_url with "bearer"', async () => {
    sm.apiMode = 'ok';
    const s = await service();
    const { res } = await connect(s);
    expect(res.status).toBe(200);
    const authorize = sm.requests.find((r) => r.url.startsWith('/oauth/authorize'))!;
    const a = new URL(authorize.url, sm.origin).searchParams;
    expect(a.get('redirect_uri')).toBe(`${ISSUER}/admin/upstreams/surveymonkey/callback`);
    expect(a.get('response_type')).toBe('code');
    const exchange = sm.requests.find((r) => r.url === '/oauth/token')!;
    expect(exchange.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(exchange.body))).toEqual({
      grant_type: 'authorization_code',
      code: expect.any(String),
      redirect_uri: `${ISSUER}/admin/upstreams/surveymonkey/callback`,
      code_verifier: expect.stringMatching(/^[\w-]{43}$/),
      client_id: SM.id,
      client_secret: SM.secret,
    });
    expect(vaultRow(s, 'surveymonkey')).toMatchObject({ accessUrl: sm.regional.origin, accessExpiresAt: null, refreshTokenSealed: null });
    const me = await viaProxy(s, '/surveymonkey/users/me', await token(s, 'surveymonkey'));
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: '1234', username: 'campus-surveys', account_type: 'enterprise' });
    const call = sm.regional.requests.at(-1)!;
    expect(call.url).toBe('/v3/users/me');
    expect(call.headers.authorization).toBe(`bearer ${(await vaultTokens(s, 'surveymonkey'))!.accessToken}`);
    // Long-lived: a year later it is still used as is.
    s.clock.advance(365 * 86_400_000);
    expect((await viaProxy(s, '/surveymonkey/users/me', await token(s, 'surveymonkey'))).status).toBe(200);
  });

  it('refuses an access_url outside the allow-list', async () => {
    sm.accessUrl = 'https://api.surveymonkey.evil.example';
    try {
      const s = await service();
      const { res } = await connect(s);
      expect(res.status).toBe(502);
      expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'code exchange failed: rejected (access_url_not_allowed)' });
      expect(vaultRow(s, 'surveymonkey')).toBeUndefined();
    } finally {
      sm.accessUrl = undefined;
    }
  });

  it('passes a 429 (error id 1040) on with a Retry-After taken from the rate-limit reset header', async () => {
    const s = await service();
    await connect(s);
    sm.apiMode = 'rate_limited';
    try {
      const res = await viaProxy(s, '/surveymonkey/users/me', await token(s, 'surveymonkey'));
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('42');
      expect(res.headers.get('x-ratelimit-app-global-minute-remaining')).toBe('0');
      expect(((await res.json()) as { error: { id: string } }).error.id).toBe('1040');
    } finally {
      sm.apiMode = 'ok';
    }
  });

  it.each([
    ['HTTP 200 with status 1', 'revoked' as const],
    ['401 with error id 1013', 'revoked401' as const],
  ])('a revoked grant (%s) needs re-authorisation: audited, then no more calls upstream', async (_name, mode) => {
    const s = await service();
    await connect(s);
    sm.apiMode = mode;
    try {
      const t = await token(s, 'surveymonkey');
      const res = await viaProxy(s, '/surveymonkey/users/me', t);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the upstream account needs to be re-authorised by an administrator' });
      expect(dataOf(auditOf(s, 'upstream.refresh')[0])).toEqual({ upstream: 'surveymonkey', grant: 'authorization_code', status: 'needs_reauth', error: 'token_revoked' });
      const calls = sm.regional.requests.length;
      expect((await viaProxy(s, '/surveymonkey/users/me', t)).status).toBe(503);
      expect(sm.regional.requests.length).toBe(calls);
    } finally {
      sm.apiMode = 'ok';
    }
  });
});

describe('surveymonkey apply', () => {
  it('imports the generated refresh token once, refreshes with credentials in the body, stores every rotated refresh token', async () => {
    const s = await service();
    expect(dataOf(auditOf(s, 'upstream.connect')[0])).toEqual({ upstream: 'apply', method: 'seed' });
    const seed = s.env.APPLY_REFRESH!;
    const res = await viaProxy(s, '/apply/applications/', await token(s, 'apply'));
    expect(res.status).toBe(200);
    const refresh = apply.requests.find((r) => r.url.startsWith('/api/o/token/'))!;
    expect(refresh.url).toBe('/api/o/token/');
    expect(refresh.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(refresh.body))).toEqual({ grant_type: 'refresh_token', refresh_token: seed, client_id: APPLY.id, client_secret: s.env.APPLY_SECRET });
    const first = (await vaultTokens(s, 'apply'))!;
    expect(first.refreshToken).not.toBe(seed);
    expect(apply.validRefreshTokens).toEqual(new Set([first.refreshToken]));
    const row = vaultRow(s, 'apply')!;
    expect(row.accessExpiresAt!.getTime() - row.accessObtainedAt!.getTime()).toBe(7_200_000);
    // Two hours on: refreshed with the rotated token, which works because it was kept.
    s.clock.advance(7_200_000);
    expect((await viaProxy(s, '/apply/applications/', await token(s, 'apply'))).status).toBe(200);
    const second = (await vaultTokens(s, 'apply'))!;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(apply.validRefreshTokens).toEqual(new Set([second.refreshToken]));
    // A restart with the same (long since rotated) seed in the environment does not re-import it.
    const again = await service({ dir: s.dir, env: s.env });
    services.pop();
    try {
      expect((await vaultTokens(again, 'apply'))!.refreshToken).toBe(second.refreshToken);
      again.clock.advance(7_200_000 * 2);
      expect((await viaProxy(again, '/apply/applications/', await token(again, 'apply'))).status).toBe(200);
    } finally {
      again.close();
    }
  });

  it('imports regenerated credentials, and disconnect revokes with the documented JSON body', async () => {
    const s = await service();
    await viaProxy(s, '/apply/applications/', await token(s, 'apply'));
    s.close();
    services.pop();
    const fresh = apply.generateCredentials();
    const s2 = await service({ dir: s.dir, env: { ...s.env, APPLY_SECRET: fresh.clientSecret, APPLY_REFRESH: fresh.refreshToken } });
    expect((await vaultTokens(s2, 'apply'))!.refreshToken).toBe(fresh.refreshToken);
    expect((await viaProxy(s2, '/apply/applications/', await token(s2, 'apply'))).status).toBe(200);
    const rt = (await vaultTokens(s2, 'apply'))!.refreshToken!;
    const res = await s2.app.request(`${ISSUER}/admin/upstreams/apply/disconnect`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await res.json()).toEqual({ upstream: 'apply', disconnected: true, revoked: true });
    const revoke = apply.requests.at(-1)!;
    expect(revoke).toMatchObject({ method: 'POST', url: '/api/o/revoke_token/' });
    expect(revoke.headers['content-type']).toBe('application/json');
    expect(JSON.parse(revoke.body)).toEqual({ client_id: APPLY.id, client_secret: fresh.clientSecret, token: rt, token_hint: 'refresh' });
    expect(apply.validRefreshTokens.has(rt)).toBe(false);
  });
});
