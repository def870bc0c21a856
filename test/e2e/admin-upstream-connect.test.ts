import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamAuthStates } from '../../src/db/schema/upstream-auth-states.js';
import { ACS_URL, registerSp } from '../helpers/saml.js';
import { AUD } from '../helpers/service.js';
import type { ScriptedBrowser } from '../support/oauth/browser.js';
import type { SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import {
  adminBrowser,
  auditOf,
  CALLBACK,
  dataOf,
  ISSUER,
  startOidcUpstream,
  studentToken,
  upstreamOverrides,
  vaultRow,
  vaultTokens,
  viaProxy,
  worldEnv,
  type OidcUpstream,
  type TestService,
} from '../upstream/world.js';
import { CONSOLE_PEOPLE, consoleOverrides, startConsoleIdp, wholeSecondNow } from './admin-helpers.js';
import { startTestService } from '../helpers/service.js';

/**
 * The console meets the vault: the upstream connect endpoints behind console sign-in. An admin (entitlement admin,
 * signed in through the real SimpleSAMLphp IdP) connects the `records` upstream at the real oidc-provider and
 * disconnects it; an auditor is refused; no session means sign-in first; state changes need the CSRF token.
 */
let idp: SimpleSamlIdp;
let up: OidcUpstream;
let s: TestService;
let admin: Console;
let auditor: Console;

interface Console {
  browser: ScriptedBrowser;
  csrf: string;
  subject: string;
}

const CONNECT = `${ISSUER}/admin/upstreams/records/connect`;
const DISCONNECT = `${ISSUER}/admin/upstreams/records/disconnect`;
const HTML = { accept: 'text/html' };
const states = () => s.sqlite.db.select().from(upstreamAuthStates).all();

/** Console sign-in through the IdP in a browser that also reaches the upstream provider over the network. */
async function signIn(person: { username: string; password: string }, subject: string): Promise<Console> {
  const browser = adminBrowser(s);
  const start = await browser.request(`${ISSUER}/admin/login`);
  expect(start.status).toBe(303);
  const posted = await loginAtIdp(start.headers.get('location')!, person);
  expect(posted.acsUrl).toBe(ACS_URL);
  const body = new URLSearchParams({ SAMLResponse: posted.SAMLResponse, ...(posted.RelayState ? { RelayState: posted.RelayState } : {}) });
  const acs = await browser.request(ACS_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  expect(acs.status).toBe(303);
  const session = await browser.request(`${ISSUER}/admin/api/session`);
  expect(session.status).toBe(200);
  return { browser, csrf: ((await session.json()) as { csrf_token: string }).csrf_token, subject };
}

function post(browser: ScriptedBrowser | undefined, url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...HTML, ...headers }, body: new URLSearchParams(fields).toString() };
  return browser ? browser.request(url, init) : Promise.resolve(s.app.request(url, init));
}

/** Follows the provider's login and consent; returns the callback URL it sends the browser back to. */
async function throughProvider(browser: ScriptedBrowser, authorize: string): Promise<string> {
  let url = authorize;
  for (let hops = 0; hops < 10; hops++) {
    const res = await browser.request(url);
    const next = new URL(res.headers.get('location')!, url).href;
    if (next.startsWith(CALLBACK('records'))) return next;
    url = next;
  }
  throw new Error('the provider never redirected back');
}

beforeAll(async () => {
  [idp, up] = await Promise.all([startConsoleIdp(), startOidcUpstream({ redirectUris: [CALLBACK('records')] })]);
  const world = upstreamOverrides(up);
  const consoleCfg = consoleOverrides(idp);
  s = await startTestService({
    startAt: wholeSecondNow(),
    env: worldEnv(),
    // The console's survey keeps its audience next to the upstream world's.
    overrides: (dir) => ({ ...consoleCfg(dir), ...world, audiences: [...world.audiences, { id: AUD.sis, scopes: ['student.read'] }] }),
  });
  await registerSp(idp, s);
  [admin, auditor] = await Promise.all([signIn(CONSOLE_PEOPLE.admin, 'dave@example.edu'), signIn(CONSOLE_PEOPLE.auditor, 'carol@example.edu')]);
});
afterAll(async () => {
  s?.stop();
  await Promise.all([idp?.stop(), up?.stop()]);
});

describe('an admin signed in to the console', () => {
  it('gets the connect form with the session CSRF token (no administrator token field)', async () => {
    const res = await admin.browser.request(CONNECT, { headers: HTML });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`<input type="hidden" name="csrf_token" value="${admin.csrf}">`);
    expect(page).not.toContain('admin_token');
    expect(page).toContain('Signed in to the console as <strong>dave@example.edu</strong>');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain(`form-action 'self' ${up.issuer}`);
  });

  it('connects the upstream (start, provider, callback) and disconnects it; the audit rows name the admin', async () => {
    up.decision = { outcome: 'approve', account: 'registrar-admin' };
    const started = await post(admin.browser, CONNECT, { csrf_token: admin.csrf }, { origin: ISSUER, 'sec-fetch-site': 'same-origin' });
    expect(started.status).toBe(303);
    const authorize = started.headers.get('location')!;
    expect(authorize.startsWith(up.authorizeUrl)).toBe(true);
    const done = await admin.browser.request(await throughProvider(admin.browser, authorize));
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Records (admin-connected) is connected');
    expect(await vaultTokens(s, 'records')).toMatchObject({ status: 'connected', scope: 'records:read' });
    expect(auditOf(s, 'upstream.connect').slice(0, 2).map((r) => [r.outcome, dataOf(r)])).toEqual([
      ['success', { upstream: 'records', method: 'authorization_code', stage: 'callback', actor: admin.subject, expires_in: 3600 }],
      ['success', { upstream: 'records', method: 'authorization_code', stage: 'start', actor: admin.subject }],
    ]);
    const token = await studentToken(s, { aud: ['https://records.campus.test/api'] });
    expect((await viaProxy(s, '/records/students/S1001', token)).status).toBe(200);

    // Disconnect, the CSRF token as a header this time (a script-less form would send the field).
    const res = await admin.browser.request(DISCONNECT, { method: 'POST', headers: { 'x-csrf-token': admin.csrf } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upstream: 'records', disconnected: true, revoked: true });
    expect(vaultRow(s, 'records')).toMatchObject({ status: 'disconnected', accessTokenSealed: null });
    expect(dataOf(auditOf(s, 'upstream.disconnect')[0])).toEqual({ upstream: 'records', actor: admin.subject, revoked: true });
  });

  it('is refused (403) without the CSRF token, with a wrong one, or from another origin', async () => {
    const before = states().length;
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{}, {}],
      [{ csrf_token: 'not-the-token' }, {}],
      [{ csrf_token: admin.csrf }, { origin: 'https://survey.example.edu' }],
      [{ csrf_token: admin.csrf }, { 'sec-fetch-site': 'same-site' }],
    ];
    for (const [fields, headers] of cases) {
      const res = await post(admin.browser, CONNECT, fields, headers);
      expect(res.status, JSON.stringify([fields, headers])).toBe(403);
      expect(await res.text()).toContain('cross-site request forgery check');
      expect(res.headers.get('location')).toBeNull();
    }
    expect(states()).toHaveLength(before);
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', subject: admin.subject, reason: 'the request failed the CSRF check' });
    const disconnect = await post(admin.browser, DISCONNECT, { csrf_token: 'not-the-token' }, { accept: 'application/json' });
    expect(disconnect.status).toBe(403);
    expect(await disconnect.json()).toEqual({ error: 'access_denied', error_description: 'the request failed the cross-site request forgery check' });
  });
});

describe('refusals', () => {
  it('an auditor gets 403 for the form, the start and the disconnect, audited with their subject', async () => {
    const form = await auditor.browser.request(CONNECT, { headers: HTML });
    expect(form.status).toBe(403);
    expect(await form.text()).toContain('this needs the admin role');
    const start = await post(auditor.browser, CONNECT, { csrf_token: auditor.csrf });
    expect(start.status).toBe(403);
    expect(start.headers.get('location')).toBeNull();
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', subject: auditor.subject, reason: 'the console session lacks the admin role' });
    expect(dataOf(auditOf(s, 'upstream.connect')[0])).toMatchObject({ error: 'access_denied' });
    const disconnect = await auditor.browser.request(DISCONNECT, { method: 'POST', headers: { 'x-csrf-token': auditor.csrf, accept: 'application/json' } });
    expect(disconnect.status).toBe(403);
    expect(auditOf(s, 'upstream.disconnect')[0]).toMatchObject({ outcome: 'refused', subject: auditor.subject });
  });

  it('without a session: the page redirects to sign-in (and back), POSTs get 401', async () => {
    const page = await s.app.request(CONNECT, { headers: HTML });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/admin/login?return=${encodeURIComponent('/admin/upstreams/records/connect')}`);
    const start = await post(undefined, CONNECT, {});
    expect(start.status).toBe(401);
    expect(await start.text()).toContain('sign in to the admin console first');
    expect(auditOf(s, 'upstream.connect')[0]).toMatchObject({ outcome: 'refused', reason: 'no admin console session (none)' });
    const disconnect = await s.app.request(DISCONNECT, { method: 'POST', headers: { accept: 'application/json' } });
    expect(disconnect.status).toBe(401);
    expect(await disconnect.json()).toMatchObject({ error: 'login_required', login_url: '/admin/login' });
  });

  it('the automation token (upstream_admin is configured here) is still accepted, and a wrong one refused', async () => {
    const wrong = await s.app.request(DISCONNECT, { method: 'POST', headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(auditOf(s, 'upstream.disconnect')[0]).toMatchObject({ outcome: 'refused', reason: 'administrator token missing or wrong' });
    const ok = await s.app.request(DISCONNECT, { method: 'POST', headers: { authorization: `Bearer ${worldEnv().ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    // Already disconnected above: nothing to do (and nothing audited), but the token got through.
    expect(await ok.json()).toEqual({ upstream: 'records', disconnected: false, revoked: false });
  });
});
