import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import { AppBrowser, PEOPLE } from '../helpers/saml.js';
import { alphaToken } from '../helpers/service.js';
import { consoleWithStaff, type SignedIn } from './admin-helpers.js';

/**
 * The review page as HTML (server-rendered, no scripts): strict CSP, labelled form controls, filters and
 * paging, the detail view with its correlation, the chain status (verified / broken), and nothing secret in it.
 */
const w = consoleWithStaff();
let code: string;
let jwt: string;

beforeAll(async () => {
  const student = new AppBrowser(w.s);
  const start = await student.request('/launch/course-eval');
  const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.student);
  const acs = await student.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
  code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
  const redeemed = await w.s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  jwt = ((await redeemed.json()) as { token: string }).token;
  for (let i = 0; i < 60; i++) await alphaToken(w.s);
});

async function page(who: SignedIn, path: string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await who.browser.request(path, { headers: { accept: 'text/html' } });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const rowIds = (html: string) => [...html.matchAll(/<td><a href="\/admin\/audit\/events\/(\d+)"/g)].map((m) => Number(m[1]));

describe('GET /admin/audit', () => {
  it('is served under a strict CSP: no scripts, only its own stylesheet (by hash), forms post only here', async () => {
    const { status, html, headers } = await page(w.auditor, '/admin/audit');
    expect(status).toBe(200);
    const csp = headers.get('content-security-policy')!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toBe(`default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    expect(html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('labels every form control, has a skip link, and captions the table', async () => {
    const { html } = await page(w.auditor, '/admin/audit');
    const controls = [...html.matchAll(/<(input|select)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[2]!);
    expect(controls.length).toBeGreaterThanOrEqual(10);
    for (const id of controls) expect(html, id).toContain(`<label for="${id}">`);
    for (const hidden of html.matchAll(/<input\b(?![^>]*\bid=)[^>]*>/g)) expect(hidden[0]).toContain('type="hidden"');
    expect(html).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(html).toMatch(/<caption id="rows-caption">50 rows, newest first \(row \d+ down to row \d+\)<\/caption>/);
    expect(html).toContain('<th scope="col">Event</th>');
  });

  it('shows 50 rows a page, newest first, with a link to the older ones', async () => {
    const all = w.s.auditRows().map((r) => r.id).reverse();
    const first = await page(w.auditor, '/admin/audit');
    expect(rowIds(first.html)).toEqual(all.slice(0, 50));
    const older = /<a id="older" href="([^"]+)">/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    const second = await page(w.auditor, older);
    expect(rowIds(second.html)).toEqual(all.slice(50, 100));
    expect(second.html).toContain('>Newest rows</a>');
  });

  it('filters by subject and keeps the filter in the form, the paging and the export links', async () => {
    const { html } = await page(w.auditor, '/admin/audit?subject=alice%40example.edu&event=');
    expect(rowIds(html)).toEqual(w.s.auditRows().filter((r) => r.subject === 'alice@example.edu').map((r) => r.id).reverse());
    expect(html).toContain('id="f-subject" name="subject" type="text" value="alice@example.edu"');
    expect(html).toContain('href="/admin/api/audit/export?subject=alice%40example.edu&amp;format=csv"');
    expect(html).toContain('href="/admin/api/audit/export?subject=alice%40example.edu&amp;format=jsonl"');
  });

  it('explains a bad filter on the page (400) and keeps what was typed', async () => {
    const { status, html } = await page(w.auditor, '/admin/audit?from=last+tuesday');
    expect(status).toBe(400);
    expect(html).toContain('<p class="error" role="alert">Check the filters: from: expected an ISO 8601 time such as 2026-11-23T10:00:00Z.</p>');
    expect(html).toContain('value="last tuesday"');
  });

  it('never shows a token, a launch code or the session cookie', async () => {
    const pages = [await page(w.auditor, '/admin/audit'), ...(await Promise.all(w.s.auditRows().slice(0, 30).map((r) => page(w.auditor, `/admin/audit/events/${r.id}`))))];
    const cookie = w.auditor.browser.cookie('__Host-campus_sts_admin')!;
    for (const p of pages) {
      expect(p.status).toBe(200);
      expect(p.html).not.toContain(code);
      expect(p.html).not.toContain(jwt.split('.')[2]);
      expect(p.html).not.toContain(cookie);
    }
  });

  it('shows the admin-only checkpoint button to admins only', async () => {
    expect((await page(w.auditor, '/admin/audit')).html).not.toContain('Sign a checkpoint now');
    expect((await page(w.admin, '/admin/audit')).html).toContain('Sign a checkpoint now');
  });
});

describe('GET /admin/audit/events/:id', () => {
  it('shows every recorded field, the hash check, and the launch’s correlation chain', async () => {
    const issue = w.s.auditRows().find((r) => r.event === 'launch.issue')!;
    const { status, html } = await page(w.auditor, `/admin/audit/events/${issue.id}`);
    expect(status).toBe(200);
    expect(html).toContain(`<h1>Row ${issue.id}: launch.issue <span class="outcome-success">(success)</span></h1>`);
    expect(html).toContain(`${issue.hash} — <strong class="outcome-success">matches the content</strong>`);
    expect(html).toContain(`<a href="/admin/audit?jti=${issue.jti}">rows with this jti</a>`);
    const chain = [...html.matchAll(/<tr(?: aria-current="true")?>\s*<td>(?:<strong>|<a href="\/admin\/audit\/events\/\d+">)(\d+)<\/(?:strong|a)><\/td>\s*<td><time[^>]*>[^<]*<\/time><\/td><td>([^<]+)<\/td><td[^>]*>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => `${m[2]}:${m[4]}`);
    expect(chain).toEqual(['saml.start:same sign-in', 'saml.login:same request', 'launch.issue:this row', 'launch.redeem:same token (jti)']);
  });

  it('answers an unknown row with a friendly 404 page', async () => {
    const { status, html } = await page(w.auditor, '/admin/audit/events/999999');
    expect(status).toBe(404);
    expect(html).toContain('No such row');
  });
});

describe('chain status on the page', () => {
  it('says "verified up to row N", and "broken at row N" after tampering once the whole chain is re-verified', async () => {
    const head = w.s.lastAudit();
    expect((await page(w.auditor, '/admin/audit')).html).toMatch(new RegExp(`✓ Chain verified</strong> up to row <strong id="chain-head">${head.id}</strong>, written <time datetime="${head.at.toISOString()}">`));
    w.s.sqlite.sqlite.exec(`UPDATE audit_log SET subject = 'mallory' WHERE id = 5`);
    // The cheap per-view check only looks at new rows; the full check finds the edit.
    expect((await page(w.auditor, '/admin/audit')).html).toContain('✓ Chain verified');
    const verify = await w.auditor.browser.postForm('/admin/audit/verify', { csrf_token: w.auditor.csrf });
    expect(verify.status).toBe(303);
    expect(verify.headers.get('location')).toBe('/admin/audit?done=verified');
    const after = await page(w.auditor, '/admin/audit?done=verified');
    expect(after.html).toContain('The whole chain was verified just now');
    expect(after.html).toContain('✗ Chain broken at row <span id="chain-bad">5</span></strong>: audit chain broken at row 5: row 5 was edited: its content does not match its hash.');
    expect((await page(w.auditor, '/admin/audit/events/5')).html).toContain('does NOT match the content (edited)');
    // An admin cannot sign a checkpoint over it.
    const cp = await w.admin.browser.postForm('/admin/audit/checkpoints', { csrf_token: w.admin.csrf });
    expect(cp.status).toBe(400);
    expect(await cp.text()).toContain('No checkpoint signed');
  });
});
