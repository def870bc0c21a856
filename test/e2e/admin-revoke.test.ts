import { describe, expect, it } from 'vitest';
import { alphaToken, SECRETS } from '../helpers/service.js';
import { consoleWithStaff, type SignedIn } from './admin-helpers.js';

/**
 * The console's subject-wide revocation (/admin/revoke and /admin/api/revocations/subject): role `admin` only, CSRF
 * on every POST, audited with the admin as actor; what it revokes is refused by the service at once.
 */
const w = consoleWithStaff();

const page = (who: SignedIn, path: string) => who.browser.request(path, { headers: { accept: 'text/html' } });
const post = (who: SignedIn, form: Record<string, string>, headers: Record<string, string> = {}) =>
  who.browser.request('/admin/revoke', { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
const introspect = async (token: string) => (await w.s.post('/introspect', { token }, ['alpha', SECRETS.alpha])).json();
const subjectRevocations = () => w.s.auditRows().filter((r) => r.event === 'subject.revoke');

describe('GET /admin/revoke', () => {
  it('shows admins the form (CSRF token included) under the console CSP, linked from the header', async () => {
    const res = await page(w.admin, '/admin/revoke?subject=alpha');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<a href="/admin/revoke">Revoke tokens</a>');
    expect(html).toContain(`<input type="hidden" name="csrf_token" value="${w.admin.csrf}">`);
    expect(html).toContain('<label for="f-subject">');
    expect(html).toContain('name="subject" type="text" value="alpha"');
    expect(html).toContain('<label for="f-before">Issued before (UTC; empty: now)</label>');
    expect(html).not.toMatch(/<script/i);
  });

  it('refuses an auditor (and shows them no link), and sends someone without a session to sign in', async () => {
    const res = await page(w.auditor, '/admin/revoke');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Not allowed');
    expect(await (await page(w.auditor, '/admin/audit')).text()).not.toContain('/admin/revoke');
    const anonymous = await w.s.app.request('/admin/revoke', { headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin/login?return=%2Fadmin%2Frevoke');
  });
});

describe('POST /admin/revoke', () => {
  it("revokes the subject's tokens issued before now: introspection answers inactive at once; audited with the admin", async () => {
    const token = await alphaToken(w.s);
    w.s.clock.advance(1000);
    const cutoff = w.s.clock.now().toISOString();
    const res = await post(w.admin, { csrf_token: w.admin.csrf, subject: 'alpha', before: '' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`<strong>Every token of <span class="mono">alpha</span> issued before <time datetime="${cutoff}">`);
    expect(html).toContain('<a href="/admin/audit?subject=alpha">Audit rows of this subject</a>');
    expect(subjectRevocations().map((r) => ({ subject: r.subject, requestId: r.requestId, data: JSON.parse(r.data!) }))).toEqual([
      { subject: 'alpha', requestId: res.headers.get('x-request-id'), data: { actor: 'dave@example.edu', before: cutoff, pairwise_subjects: 0 } },
    ]);
    expect(await introspect(token)).toEqual({ active: false });
    w.s.clock.advance(1000);
    expect(await introspect(await alphaToken(w.s))).toMatchObject({ active: true });
  });

  it('reads a cutoff without zone as UTC (the form says so), whatever the host zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York'; // on a UTC host, reading it as local time would pass unseen
    let res: Response;
    try {
      res = await post(w.admin, { csrf_token: w.admin.csrf, subject: 'beta', before: new Date(w.s.clock.now().getTime() - 60_000).toISOString().slice(0, 19) });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(res.status).toBe(200);
    expect(JSON.parse(subjectRevocations().at(-1)!.data!)).toMatchObject({ before: new Date(Math.floor(w.s.clock.now().getTime() / 1000) * 1000 - 60_000).toISOString() });
  });

  it('refuses a cutoff in the future or unreadable, and an empty subject, with the form again; nothing revoked', async () => {
    const before = subjectRevocations().length;
    for (const [form, message] of [
      [{ subject: 'alpha', before: '2099-01-01T00:00' }, 'before: must not be in the future'],
      [{ subject: 'alpha', before: 'tomorrow' }, 'before: expected an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z'],
      [{ subject: '', before: '' }, 'subject: expected 1 to 512 characters'],
    ] as const) {
      const res = await post(w.admin, { csrf_token: w.admin.csrf, ...form });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(`<p class="error" role="alert">Nothing was revoked. Check the form: ${message}.</p>`);
      expect(html).toContain(`value="${form.subject}"`);
    }
    expect(subjectRevocations().length).toBe(before);
  });

  it('refuses without the CSRF token, with a wrong one, from another origin, and an auditor; nothing revoked', async () => {
    const before = subjectRevocations().length;
    expect((await post(w.admin, { subject: 'alpha' })).status).toBe(403);
    expect((await post(w.admin, { csrf_token: w.auditor.csrf, subject: 'alpha' })).status).toBe(403);
    expect((await post(w.admin, { csrf_token: w.admin.csrf, subject: 'alpha' }, { origin: 'https://survey.example.edu' })).status).toBe(403);
    expect((await post(w.auditor, { csrf_token: w.auditor.csrf, subject: 'alpha' })).status).toBe(403);
    expect(subjectRevocations().length).toBe(before);
  });
});

describe('POST /admin/api/revocations/subject', () => {
  const api = (who: SignedIn, form: Record<string, string>, csrf = who.csrf) =>
    who.browser.request('/admin/api/revocations/subject', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf }, body: new URLSearchParams(form).toString() });

  it('answers JSON: the cutoff in force and the pairwise subjects reached; refusals as RFC 6749-shaped errors', async () => {
    w.s.clock.advance(1000);
    const res = await api(w.admin, { subject: 'gamma' });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { subject: 'gamma', cutoff: w.s.clock.now().toISOString(), pairwise_subjects: 0 } });
    const future = await api(w.admin, { subject: 'gamma', before: '2099-01-01T00:00:00Z' });
    expect({ status: future.status, body: await future.json() }).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'before: must not be in the future' } });
    const forbidden = await api(w.auditor, { subject: 'gamma' });
    expect({ status: forbidden.status, body: await forbidden.json() }).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'this needs the admin role' } });
    const csrf = await api(w.admin, { subject: 'gamma' }, 'wrong');
    expect(csrf.status).toBe(403);
  });
});
