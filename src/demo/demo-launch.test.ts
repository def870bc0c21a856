import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeService, type Service } from '../compose/service.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { auditLog } from '../db/schema/audit-log.js';
import { PAGE_CSP } from '../http/pages.js';
import { demoConfig } from './config.js';
import { demoRoutes } from './routes.js';

/**
 * The demo's launch in-process, through the real SP engine (which requires both signatures for the demo IdP,
 * `signed: both`): launch → demo IdP persona chooser → signed Response → ACS → demo survey page → redeem.
 * The SAML engine compares times with the wall clock too, so this runs on the system clock.
 */
const ISSUER = 'http://127.0.0.1:8787';
let dir: string;
let service: Service;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-demo-'));
  const { config, demo } = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 8787, env: {} });
  service = await composeService({
    config, configSource: 'demo', env: {}, clock: systemClock, logger: createLogger('silent'), extraRoutes: demoRoutes(demo, { clock: systemClock }),
  });
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One browser: carries its cookies from response to request. */
function browser() {
  const cookies = new Map<string, string>();
  return async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await service.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return res;
  };
}
type Browser = ReturnType<typeof browser>;

const postForm = (b: Browser, path: string, form: Record<string, string>) =>
  b(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1];
const localPath = (url: string) => url.replace(ISSUER, '');

/** Launch → chooser → pick `persona`: returns the auto-post page and what it would post. */
async function signInAs(b: Browser, persona: string) {
  const start = await b('/launch/demo-survey');
  expect(start.status).toBe(303);
  const sso = start.headers.get('location')!;
  expect(sso.startsWith(`${ISSUER}/demo-idp/sso?SAMLRequest=`)).toBe(true);
  const chooser = await b(localPath(sso));
  const chooserPage = await chooser.text();
  expect(chooser.status).toBe(200);
  expect(chooser.headers.get('content-security-policy')).toBe(PAGE_CSP);
  const answer = await postForm(b, '/demo-idp/sso', { SAMLRequest: hidden(chooserPage, 'SAMLRequest')!, persona });
  const page = await answer.text();
  return { answer, page, samlResponse: hidden(page, 'SAMLResponse')! };
}

function lastAudit() {
  return service.sqlite.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1).get()!;
}

describe('the demo launch (demo IdP → real SP engine → demo survey)', () => {
  it('shows the four personas at the demo IdP', async () => {
    const b = browser();
    const start = await b('/launch/demo-survey');
    const page = await (await b(localPath(start.headers.get('location')!))).text();
    expect([...page.matchAll(/<button class="persona" type="submit" name="persona" value="(\w+)">\s*<strong>([^<]+)<\/strong>/g)].map((m) => [m[1], m[2]])).toEqual([
      ['student', 'Alex Rivera'],
      ['staff', 'Sam Chen'],
      ['alumna', 'Jordan Okafor'],
      ['auditor', 'Taylor Brooks'],
    ]);
  });

  it('signs the auditor persona in to the audit console (/admin/audit), with the auditor role', async () => {
    const b = browser();
    const start = await b('/admin/login?return=%2Fadmin%2Faudit');
    expect(start.status).toBe(303);
    const chooser = await (await b(localPath(start.headers.get('location')!))).text();
    const answer = await postForm(b, '/demo-idp/sso', { SAMLRequest: hidden(chooser, 'SAMLRequest')!, RelayState: hidden(chooser, 'RelayState') ?? '', persona: 'auditor' });
    const page = await answer.text();
    const acs = await postForm(b, '/saml/acs', { SAMLResponse: hidden(page, 'SAMLResponse')!, ...(hidden(page, 'RelayState') ? { RelayState: hidden(page, 'RelayState')! } : {}) });
    expect(acs.status, lastAudit().reason ?? '').toBe(303);
    expect(acs.headers.get('location')).toBe('/admin/audit');
    expect(lastAudit()).toMatchObject({ event: 'admin.login', outcome: 'success', subject: 'taylor.brooks@demo.campus-sts.test' });
    expect(JSON.parse(lastAudit().data!)).toMatchObject({ role: 'auditor' });
    const console = await b('/admin/audit');
    expect(console.status).toBe(200);
    expect(await console.text()).toMatch(/Signed in as <strong>taylor\.brooks@demo\.campus-sts\.test<\/strong> \(auditor\)/);
  });

  it('signs the student in and lands on the demo survey with a code that redeems once', async () => {
    const b = browser();
    const { answer, page, samlResponse } = await signInAs(b, 'student');
    expect(answer.status).toBe(200);
    const csp = answer.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(csp).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src data:; form-action ${ISSUER}; frame-ancestors 'none'; base-uri 'none'`);
    expect(page).toContain(`<form id="saml-post" method="post" action="${ISSUER}/saml/acs">`);
    expect(page).toContain(`<script nonce="${nonce}">document.getElementById('saml-post').submit();</script>`);
    expect(page).not.toMatch(/\son[a-z]+=/i);

    const acs = await postForm(b, '/saml/acs', { SAMLResponse: samlResponse });
    expect(acs.status, lastAudit().reason ?? '').toBe(303);
    const landing = new URL(acs.headers.get('location')!);
    expect(`${landing.origin}${landing.pathname}`).toBe(`${ISSUER}/demo/survey`);
    const code = landing.searchParams.get('sts_code')!;

    const survey = await b(`/demo/survey${landing.search}`);
    expect(survey.status).toBe(200);
    expect(survey.headers.get('cache-control')).toBe('no-store');
    expect(survey.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]+'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'$/);
    const surveyPage = await survey.text();
    expect(surveyPage).toContain(`data-redeem-url="${ISSUER}/launch/redeem" data-code-param="sts_code" data-launch-url="${ISSUER}/launch/demo-survey"`);
    // The record panel: the page fetches the respondent's own record through the upstream proxy.
    expect(surveyPage).toContain('<section id="record" data-url="/upstreams/demo-sis/me" hidden>');

    // What the page's script does: redeem from its own origin (an allowed survey origin).
    const redeem = () => b('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json', origin: ISSUER }, body: JSON.stringify({ code }) });
    const first = await redeem();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      sub: 'alex.rivera@demo.campus-sts.test',
      displayName: 'Alex Rivera',
      affiliation: 'member,student',
      mail: 'alex.rivera@demo.campus-sts.test',
      student_id: 's1024',
      token: expect.stringMatching(/^eyJ/),
      token_expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      token_expires_in: expect.stringMatching(/^(299|300)$/),
    });
    const second = await redeem();
    expect(second.status).toBe(400);
    expect(await second.json()).toEqual({ error: 'invalid_grant', error_description: 'the launch code is invalid, expired or already used' });
  });

  it("fetches the student's own record through the upstream proxy with the redeemed token, as the page's script does", async () => {
    const b = browser();
    const { samlResponse } = await signInAs(b, 'student');
    const acs = await postForm(b, '/saml/acs', { SAMLResponse: samlResponse });
    const code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
    const redeemed = await b('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json', origin: ISSUER }, body: JSON.stringify({ code }) });
    const { token } = (await redeemed.json()) as { token: string };
    const record = await b('/upstreams/demo-sis/me', { headers: { authorization: `Bearer ${token}`, accept: 'application/json', origin: ISSUER } });
    expect(record.status).toBe(200);
    expect(record.headers.get('access-control-allow-origin')).toBe(ISSUER);
    expect(await record.json()).toMatchObject({ student_id: 's1024', name: 'Alex Rivera', programme: 'BSc Physics' });
  });

  for (const [persona, subject] of [['staff', 'sam.chen@demo.campus-sts.test'], ['alumna', 'jordan.okafor@demo.campus-sts.test']] as const) {
    it(`signs the ${persona} in, and the student-only survey refuses them with a friendly page`, async () => {
      const b = browser();
      const { samlResponse } = await signInAs(b, persona);
      const acs = await postForm(b, '/saml/acs', { SAMLResponse: samlResponse });
      expect(acs.status).toBe(403);
      expect(await acs.text()).toContain('This survey is only for respondents whose affiliation is one of: student.');
      expect(lastAudit()).toMatchObject({ event: 'launch.issue', outcome: 'refused', subject, reason: 'survey requires affiliation in [student]' });
    });
  }

  it('signs for real: an edited attribute breaks the signature and the SP refuses it', async () => {
    const b = browser();
    const { samlResponse } = await signInAs(b, 'student');
    const edited = Buffer.from(Buffer.from(samlResponse, 'base64').toString('utf8').replace('>Alex Rivera<', '>Eve Rivera<'), 'utf8').toString('base64');
    expect(edited).not.toBe(samlResponse);
    const acs = await postForm(b, '/saml/acs', { SAMLResponse: edited });
    expect(acs.status).toBe(400);
    expect(lastAudit()).toMatchObject({ event: 'saml.login', outcome: 'refused' });
    expect(lastAudit().reason).toMatch(/^signature_invalid/);
  });

  it('answers only our SP: a request from another SP gets a page, not a Response', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const foreign = deflateRawSync(
      '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x1" Version="2.0" IssueInstant="2026-11-23T10:00:00Z">' +
        '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://evil.example/sp</saml:Issuer></samlp:AuthnRequest>',
    ).toString('base64');
    const res = await browser()(`/demo-idp/sso?SAMLRequest=${encodeURIComponent(foreign)}`);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('The sign-in request comes from a service this IdP does not know.');
    expect(page).not.toContain('SAMLResponse');
  });

  it('serves the IdP metadata the SP pins', async () => {
    const res = await service.app.request('/demo-idp/metadata');
    expect(res.headers.get('content-type')).toBe('application/samlmetadata+xml');
    const xml = await res.text();
    expect(xml).toContain(`entityID="${ISSUER}/demo-idp/metadata"`);
    expect(xml).toContain('<shibmd:Scope regexp="false">demo.campus-sts.test</shibmd:Scope>');
    expect(xml).toContain(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ISSUER}/demo-idp/sso"/>`);
  });
});
