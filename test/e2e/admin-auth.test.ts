import { beforeEach, describe, expect, it } from 'vitest';
import { CONSOLE_PEOPLE, consoleSignIn, consoleWithStaff, wholeSecondNow, type SignedIn } from './admin-helpers.js';

/**
 * Console sign-in through the real SimpleSAMLphp IdP, and authorization for every admin route: no session,
 * auditor vs admin, and the CSRF checks on every state-changing request. Sessions: cookie attributes, idle and
 * absolute timeouts (injected clock), sign-out.
 */
const w = consoleWithStaff();

type Kind = 'page' | 'api';
/** Every admin route: method, path, the role it needs, and whether people (pages) or programs (API) use it. */
const ROUTES: [string, string, 'auditor' | 'admin', Kind][] = [
  ['GET', '/admin', 'auditor', 'page'],
  ['GET', '/admin/audit', 'auditor', 'page'],
  ['GET', '/admin/audit/events/1', 'auditor', 'page'],
  ['POST', '/admin/audit/verify', 'auditor', 'page'],
  ['POST', '/admin/audit/checkpoints', 'admin', 'page'],
  // Its POSTs (a subject to revoke) are covered in admin-revoke.test.ts: role, CSRF, refusals.
  ['GET', '/admin/revoke', 'admin', 'page'],
  ['POST', '/admin/logout', 'auditor', 'page'],
  ['GET', '/admin/api/session', 'auditor', 'api'],
  ['GET', '/admin/api/audit', 'auditor', 'api'],
  ['GET', '/admin/api/audit/status', 'auditor', 'api'],
  ['GET', '/admin/api/audit/export?format=csv', 'auditor', 'api'],
  ['GET', '/admin/api/audit/checkpoints', 'auditor', 'api'],
  ['POST', '/admin/api/audit/checkpoints', 'admin', 'api'],
  ['GET', '/admin/api/audit/1', 'auditor', 'api'],
  ['GET', '/admin/api/audit/1/correlation', 'auditor', 'api'],
];

function call(who: SignedIn | undefined, method: string, path: string, kind: Kind, opts: { csrf?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { accept: kind === 'page' ? 'text/html' : 'application/json', ...opts.headers };
  const init: RequestInit = { method, headers };
  if (method === 'POST') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const token = opts.csrf === undefined ? who?.csrf : opts.csrf;
    init.body = token === null || token === undefined ? '' : new URLSearchParams({ csrf_token: token }).toString();
  }
  return who ? who.browser.request(path, init) : w.s.app.request(path, init);
}

describe('console sign-in through the IdP', () => {
  it('signs an auditor in: a __Host- session cookie (HttpOnly, Secure, SameSite=Lax), audited', async () => {
    const again = await consoleSignIn(w.s, CONSOLE_PEOPLE.auditor, '/admin/audit/events/1');
    expect(again.acs.status).toBe(303);
    expect(again.acs.headers.get('location')).toBe('/admin/audit/events/1');
    const cookie = again.acs.headers.getSetCookie().find((c) => c.startsWith('__Host-campus_sts_admin='))!;
    expect(cookie).toMatch(/^__Host-campus_sts_admin=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const sessionId = cookie.split(';')[0]!.split('=')[1]!;
    // Only the hash of the session id is stored.
    expect(JSON.stringify(w.s.sqlite.sqlite.prepare('SELECT * FROM admin_sessions').all())).not.toContain(sessionId);
    const rows = w.s.auditRows().filter((r) => r.requestId === again.acs.headers.get('x-request-id'));
    expect(rows.map((r) => `${r.event}:${r.outcome}`)).toEqual(['saml.login:success', 'admin.login:success']);
    expect(rows[1]).toMatchObject({ subject: 'carol@example.edu' });
    expect(JSON.parse(rows[1]!.data!)).toMatchObject({ idp: 'campus', role: 'auditor' });
    expect(JSON.parse(rows[0]!.data!)).toMatchObject({ purpose: 'admin' });
    const page = await again.browser.request('/admin/audit/events/1', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as <strong>carol@example.edu</strong> (auditor)');
  });

  it('refuses someone without a console entitlement with a friendly page and an audit row', async () => {
    const r = await consoleSignIn(w.s, CONSOLE_PEOPLE.nobody);
    expect(r.acs.status).toBe(403);
    const html = await r.acs.text();
    expect(html).toContain('No access to the audit console');
    expect(html).toContain('You signed in as erin@example.edu');
    expect(html).toContain(r.acs.headers.get('x-request-id')!);
    expect(r.acs.headers.getSetCookie().some((c) => c.startsWith('__Host-'))).toBe(false);
    expect(w.s.lastAudit()).toMatchObject({ event: 'admin.login', outcome: 'refused', subject: 'erin@example.edu', reason: 'no admin role: entitlement has none of the configured values' });
    expect((await r.browser.request('/admin/api/audit')).status).toBe(401);
  });

  it('never redirects off-site after sign-in (return path is checked)', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/admin', '/saml/login', '/admin\\@evil', '/admin/../saml/login', '/admin@evil.example']) {
      const start = await w.s.app.request(`/admin/login?return=${encodeURIComponent(evil)}`);
      expect(start.status).toBe(303);
      const pending = w.s.sqlite.sqlite.prepare("SELECT target FROM saml_requests WHERE purpose = 'admin' ORDER BY created_at DESC, rowid DESC LIMIT 1").get() as { target: string };
      expect(pending.target).toBe('/admin/audit');
    }
  });
});

describe('authorization of every admin route', () => {
  for (const [method, path, , kind] of ROUTES) {
    it(`${method} ${path} without a session → ${kind === 'page' && method === 'GET' ? '303 to sign-in' : '401'}`, async () => {
      const res = await call(undefined, method, path, kind);
      if (kind === 'page' && method === 'GET') {
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe(`/admin/login?return=${encodeURIComponent(path)}`);
      } else if (kind === 'page') {
        expect(res.status).toBe(401);
        expect(await res.text()).toContain('Please sign in again');
      } else {
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: 'login_required', error_description: 'sign in to the admin console first', login_url: '/admin/login' });
      }
    });
  }

  // Sign-out last: it ends the session the other rows use.
  const ordered = [...ROUTES.filter((r) => r[1] !== '/admin/logout'), ROUTES.find((r) => r[1] === '/admin/logout')!];
  for (const [method, path, role, kind] of ordered.filter((r) => r[1] !== '/admin/logout')) {
    it(`${method} ${path} as auditor → ${role === 'admin' ? '403' : 'allowed'}`, async () => {
      const res = await call(w.auditor, method, path, kind);
      if (role === 'admin') {
        expect(res.status).toBe(403);
        if (kind === 'api') expect(await res.json()).toEqual({ error: 'access_denied', error_description: 'this needs the admin role' });
        else expect(await res.text()).toContain('Not allowed');
      } else {
        expect(res.status, await res.clone().text()).toBeLessThan(400);
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    });
    it(`${method} ${path} as admin → allowed`, async () => {
      const res = await call(w.admin, method, path, kind);
      expect(res.status, await res.clone().text()).toBeLessThan(400);
    });
  }

  const unsafe = ROUTES.filter(([method]) => method === 'POST');
  for (const [method, path, , kind] of unsafe) {
    it(`${method} ${path} is refused without the CSRF token, with a wrong one, or from another origin`, async () => {
      const before = w.s.auditRows().length;
      const attempts: [string, Response][] = [
        ['no token', await call(w.admin, method, path, kind, { csrf: null })],
        ['wrong token', await call(w.admin, method, path, kind, { csrf: w.auditor.csrf })],
        ['another origin', await call(w.admin, method, path, kind, { headers: { origin: 'https://survey.example.edu' } })],
        ['a same-site page', await call(w.admin, method, path, kind, { headers: { 'sec-fetch-site': 'same-site' } })],
      ];
      for (const [why, res] of attempts) {
        expect(res.status, why).toBe(403);
        if (kind === 'api') expect(await res.json(), why).toEqual({ error: 'access_denied', error_description: 'the request failed the cross-site request forgery check' });
      }
      // Nothing happened: no checkpoint, no sign-out.
      expect(w.s.auditRows().length).toBe(before);
      expect((await w.admin.browser.request('/admin/api/session')).status).toBe(200);
    });
  }

  it('accepts the token as an X-CSRF-Token header from the same origin (API clients)', async () => {
    const res = await w.admin.browser.request('/admin/api/audit/checkpoints', { method: 'POST', headers: { 'x-csrf-token': w.admin.csrf, origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' } });
    expect(res.status).toBe(201);
    expect(w.s.lastAudit()).toMatchObject({ event: 'audit.checkpoint', subject: 'dave@example.edu' });
  });
});

describe('session lifetime', () => {
  // Our clock moves in these tests; the IdP's is real, so sign-ins happen at real time.
  beforeEach(() => w.s.clock.set(wholeSecondNow()));
  it('ends after the idle timeout, and after the absolute timeout however active', async () => {
    const carol = await consoleSignIn(w.s, CONSOLE_PEOPLE.auditor);
    w.s.clock.advance(14 * 60_000);
    expect((await carol.browser.request('/admin/api/session')).status).toBe(200);
    w.s.clock.advance(14 * 60_000);
    expect((await carol.browser.request('/admin/api/session')).status).toBe(200);
    w.s.clock.advance(15 * 60_000 + 1000);
    const idle = await carol.browser.request('/admin/api/session');
    expect(idle.status).toBe(401);
    expect(await idle.json()).toMatchObject({ error_description: 'your session ended after a period of inactivity' });

    w.s.clock.set(wholeSecondNow());
    const busy = await consoleSignIn(w.s, CONSOLE_PEOPLE.auditor);
    for (let minutes = 0; minutes < 8 * 60 - 10; minutes += 10) {
      w.s.clock.advance(10 * 60_000);
      expect((await busy.browser.request('/admin/api/session')).status, `after ${minutes + 10} min`).toBe(200);
    }
    w.s.clock.advance(11 * 60_000);
    const expired = await busy.browser.request('/admin/api/session');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error_description: 'your session reached its maximum length' });
  });

  it('signs out: the session is gone, the cookie cleared, and it is audited', async () => {
    const carol = await consoleSignIn(w.s, CONSOLE_PEOPLE.auditor);
    const res = await carol.browser.postForm('/admin/logout', { csrf_token: carol.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/signed-out');
    expect(res.headers.getSetCookie().join()).toMatch(/__Host-campus_sts_admin=; Max-Age=0/);
    expect(w.s.lastAudit()).toMatchObject({ event: 'admin.logout', outcome: 'success', subject: 'carol@example.edu' });
    // Even a copy of the old cookie no longer works.
    expect((await carol.browser.request('/admin/api/session')).status).toBe(401);
  });
});
