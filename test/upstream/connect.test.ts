import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upstreamAuthStates } from '../../src/db/schema/upstream-auth-states.js';
import {
  ADMIN_TOKEN,
  adminBrowser,
  auditOf,
  CALLBACK,
  CLIENTS,
  connectRecords,
  dataOf,
  ISSUER,
  startOidcUpstream,
  startWorldService,
  studentToken,
  upstreamSecrets,
  vaultRow,
  vaultTokens,
  viaProxy,
  type OidcUpstream,
  type TestService,
} from './world.js';

/** Flow 5: an admin connects an authorization-code upstream in the browser; every failure is a clear page and an audit row. */

let up: OidcUpstream;
let s: TestService;
beforeAll(async () => {
  up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
});
afterAll(() => up.stop());
beforeEach(async () => {
  up.decision = { outcome: 'approve', account: 'registrar-admin' };
  s = await startWorldService(up);
});
afterEach(() => {
  const everything = JSON.stringify(s.auditRows()) + s.logs.join('');
  for (const t of [...upstreamSecrets(up), ADMIN_TOKEN]) expect(everything).not.toContain(t);
  s.stop();
});

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const states = () => s.sqlite.db.select().from(upstreamAuthStates).all();

/** The first leg: the admin posts the form; returns the provider URL we were sent to. */
async function startConnect(browser = adminBrowser(s)) {
  const res = await browser.request(`${ISSUER}/admin/upstreams/records/connect`, form({ admin_token: ADMIN_TOKEN }));
  expect(res.status).toBe(303);
  return { browser, authorize: new URL(res.headers.get('location')!), res };
}

/** Lets the provider run its login and consent; returns the callback URL it sends the browser to. */
async function throughProvider(browser: ReturnType<typeof adminBrowser>, authorize: URL): Promise<string> {
  let url = authorize.href;
  for (let hops = 0; hops < 10; hops++) {
    const res = await browser.request(url);
    const next = new URL(res.headers.get('location')!, url).href;
    if (next.startsWith(CALLBACK('records'))) return next;
    url = next;
  }
  throw new Error('the provider never redirected back');
}

describe('connecting an authorization-code upstream', () => {
  it('shows a connect form whose CSP allows the redirect to the provider only', async () => {
    const res = await s.app.request(`${ISSUER}/admin/upstreams/records/connect`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<input id="admin_token" name="admin_token" type="password"');
    expect(res.headers.get('content-security-policy')).toContain(`form-action 'self' ${up.issuer}`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await s.app.request(`${ISSUER}/admin/upstreams/sis/connect`)).status).toBe(404);
  });

  it('runs authorization code + PKCE S256 with state bound to the browser, stores the tokens sealed, audits', async () => {
    const { browser, authorize, res } = await startConnect();
    expect(authorize.origin + authorize.pathname).toBe(up.authorizeUrl);
    const p = Object.fromEntries(authorize.searchParams);
    expect(p).toEqual({
      response_type: 'code',
      client_id: CLIENTS.connector.id,
      redirect_uri: CALLBACK('records'),
      scope: 'records:read',
      state: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^campus_sts_upstream_connect=[\w-]{43}; Max-Age=600; Path=\/admin\/upstreams\/records\/; HttpOnly; SameSite=Lax$/);
    // The state and the browser nonce are stored hashed; the PKCE verifier sealed.
    const [row] = states();
    expect(row!.stateHash).not.toBe(p.state);
    expect(row!.codeVerifierSealed).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(cookie.split(';')[0]!.split('=')[1]!);

    const callback = await throughProvider(browser, authorize);
    expect(new URL(callback).searchParams.get('state')).toBe(p.state);
    const done = await browser.request(callback);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Records (admin-connected) is connected');
    expect(done.headers.getSetCookie()[0]).toMatch(/^campus_sts_upstream_connect=; Max-Age=0; Path=\/admin\/upstreams\/records\//);
    expect(states()).toEqual([]);

    const conn = (await vaultTokens(s, 'records'))!;
    expect(conn).toMatchObject({ status: 'connected', accessToken: expect.any(String), refreshToken: expect.any(String), scope: 'records:read' });
    const raw = s.sqlite.sqlite.prepare('SELECT * FROM upstream_connections WHERE upstream_id = ?').get('records') as Record<string, string>;
    expect(raw.key_id).toBe(s.keyDeps.keyring.current.id);
    expect(raw.access_token_sealed).toMatch(new RegExp(`^v1\\.${raw.key_id}\\.`));
    expect(JSON.stringify(raw)).not.toContain(conn.accessToken!);
    expect(JSON.stringify(raw)).not.toContain(conn.refreshToken!);

    const rows = auditOf(s, 'upstream.connect');
    expect(rows.map((r) => [r.outcome, dataOf(r)])).toEqual([
      ['success', { upstream: 'records', method: 'authorization_code', stage: 'callback', actor: 'admin-token', expires_in: 3600 }],
      ['success', { upstream: 'records', method: 'authorization_code', stage: 'start', actor: 'admin-token' }],
    ]);
    const token = await studentToken(s, { aud: ['https://records.campus.test/api'] });
    expect((await viaProxy(s, '/records/students/S1001', token)).status).toBe(200);
  });

  it('refuses to start without the admin token (page, audit, no state)', async () => {
    const res = await adminBrowser(s).request(`${ISSUER}/admin/upstreams/records/connect`, form({ admin_token: 'wrong' }));
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Administrator token required');
    expect(states()).toEqual([]);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'administrator token missing or wrong' });
  });

  it('explains access_denied from the provider', async () => {
    up.decision = { outcome: 'deny', account: 'x' };
    const { browser, authorize } = await startConnect();
    const callback = await throughProvider(browser, authorize);
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const res = await browser.request(callback);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Access was not granted');
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'the provider answered error=access_denied (End-User aborted interaction)' });
    expect(vaultRow(s, 'records')).toBeUndefined();
    expect(states()).toEqual([]);
  });

  it('accepts the state only in the browser that started it, once, within 10 minutes', async () => {
    const { browser, authorize } = await startConnect();
    const callback = await throughProvider(browser, authorize);
    // Another browser (say, a victim lured to the URL) has no binding cookie: refused, and the state survives.
    const other = await adminBrowser(s).request(callback);
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('This connection attempt is not valid here');
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'no connect cookie in this browser' });
    expect(states()).toHaveLength(1);
    expect((await browser.request(callback)).status).toBe(200);
    // Replayed in the same browser: already consumed.
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'state unknown or already used' });
  });

  it('refuses an expired state and an unknown one', async () => {
    const { browser, authorize } = await startConnect();
    const callback = await throughProvider(browser, authorize);
    s.clock.advance(10 * 60_000 + 1);
    expect((await browser.request(callback)).status).toBe(400);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ reason: 'state expired' });
    expect((await browser.request(`${CALLBACK('records')}?state=made-up&code=abc`)).status).toBe(400);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ reason: 'state unknown or already used' });
    expect((await browser.request(`${CALLBACK('records')}?code=abc`)).status).toBe(400);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ reason: 'callback without a usable state parameter' });
  });

  it('explains a code the provider refuses (tampered), audited with the provider error', async () => {
    const { browser, authorize } = await startConnect();
    const callback = new URL(await throughProvider(browser, authorize));
    callback.searchParams.set('code', `${callback.searchParams.get('code')}x`);
    const res = await browser.request(callback.href);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('The authorization code was refused');
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'code exchange failed: invalid_grant (invalid_grant)' });
    expect(vaultRow(s, 'records')).toBeUndefined();
  });
});

describe('disconnecting', () => {
  it('revokes at the provider (RFC 7009), forgets the tokens, and the proxy then refuses', async () => {
    await connectRecords(s);
    const conn = (await vaultTokens(s, 'records'))!;
    const refused = await s.app.request(`${ISSUER}/admin/upstreams/records/disconnect`, { method: 'POST' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="campus-sts"');
    const revocations = up.revocations;
    const res = await s.app.request(`${ISSUER}/admin/upstreams/records/disconnect`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await res.json()).toEqual({ upstream: 'records', disconnected: true, revoked: true });
    expect(up.revocations).toBe(revocations + 1);
    expect(await up.findRefreshToken(conn.refreshToken!)).toBeUndefined();
    expect(vaultRow(s, 'records')).toMatchObject({ status: 'disconnected', accessTokenSealed: null, refreshTokenSealed: null });
    expect(dataOf(auditOf(s, 'upstream.disconnect')[0])).toEqual({ upstream: 'records', actor: 'admin-token', revoked: true });
    const after = await viaProxy(s, '/records/students/S1001', await studentToken(s, { aud: ['https://records.campus.test/api'] }));
    expect(after.status).toBe(503);
    expect(await after.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the upstream account is not connected; an administrator must connect it' });
    const again = await s.app.request(`${ISSUER}/admin/upstreams/records/disconnect`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await again.json()).toEqual({ upstream: 'records', disconnected: false, revoked: false });
  });

});
