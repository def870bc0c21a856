import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import type { SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { ACS_URL, AppBrowser, PEOPLE, registerSp, samlOverrides, startIdp, SURVEY_ORIGIN, SURVEY_URL } from '../helpers/saml.js';
import { AUD, ISSUER, startTestService, type TestService } from '../helpers/service.js';

/**
 * Interop with a real IdP (SimpleSAMLphp from Debian): SP-initiated login with InResponseTo, the three signing
 * variants, an encrypted assertion, multi-valued attributes, and a respondent the survey policy refuses.
 */
/** The real IdP uses the real clock; ours is fixed at the whole second, so lifetimes are exact. */
const wholeSecondNow = () => new Date(Math.floor(Date.now() / 1000) * 1000);

let idp: SimpleSamlIdp;
let s: TestService;
beforeAll(async () => {
  idp = await startIdp();
});
afterAll(async () => {
  await idp.stop();
});
afterEach(() => s?.stop());

async function launchAs(person: { username: string; password: string }, browser = new AppBrowser(s)) {
  const start = await browser.request('/launch/course-eval');
  expect(start.status).toBe(303);
  const location = start.headers.get('location')!;
  expect(location.startsWith(`${idp.ssoUrl}?SAMLRequest=`)).toBe(true);
  const posted = await loginAtIdp(location, person);
  expect(posted.acsUrl).toBe(ACS_URL);
  const acs = await browser.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse, ...(posted.RelayState ? { RelayState: posted.RelayState } : {}) });
  return { acs, posted, browser };
}

async function redeem(code: string, headers: Record<string, string> = {}) {
  const res = await s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ code }) });
  return { status: res.status, body: (await res.json()) as Record<string, string>, headers: res.headers };
}

const variants: [string, 'response' | 'assertion' | 'both', { signResponse: boolean; signAssertion: boolean; encryptAssertion: boolean }][] = [
  ['response and assertion signed', 'both', { signResponse: true, signAssertion: true, encryptAssertion: false }],
  ['only the response signed', 'response', { signResponse: true, signAssertion: false, encryptAssertion: false }],
  ['only the assertion signed', 'assertion', { signResponse: false, signAssertion: true, encryptAssertion: false }],
  ['assertion encrypted (AES-128-CBC + RSA-OAEP) inside a signed response', 'both', { signResponse: true, signAssertion: true, encryptAssertion: true }],
];

describe('SSO-gated survey launch against SimpleSAMLphp', () => {
  for (const [name, signed, reg] of variants) {
    it(`launches a student with ${name}, and the code redeems once`, async () => {
      s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp, { signed }) });
      await registerSp(idp, s, reg);
      const { acs } = await launchAs(PEOPLE.student);
      expect(acs.status, s.lastAudit().reason ?? '').toBe(303);
      const target = new URL(acs.headers.get('location')!);
      expect(`${target.origin}${target.pathname}`).toBe(SURVEY_URL);
      expect([...target.searchParams.keys()]).toEqual(['sts_code']);
      const code = target.searchParams.get('sts_code')!;

      const r = await redeem(code);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toEqual({
        sub: 'alice@example.edu',
        displayName: 'Alice Example',
        affiliation: 'member,student',
        mail: 'alice@example.edu',
        token: expect.stringMatching(/^eyJ/),
        token_expires_at: expect.any(String),
        token_expires_in: '300',
      });
      for (const [k, v] of Object.entries(r.body)) {
        expect(k).toMatch(/^[A-Za-z0-9_]+$/);
        expect(typeof v).toBe('string');
      }
      const jwks = createLocalJWKSet((await (await s.app.request('/jwks.json')).json()) as never);
      const { payload } = await jwtVerify(r.body.token!, jwks, { issuer: ISSUER, audience: AUD.sis, currentDate: s.clock.now() });
      expect(payload).toMatchObject({
        sub: 'alice@example.edu',
        client_id: 'survey:course-eval',
        scope: 'student.read',
        displayName: 'Alice Example',
        affiliation: ['member', 'student'],
        mail: 'alice@example.edu',
      });
      expect(payload.eppn).toBeUndefined();

      const again = await redeem(code);
      expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'the launch code is invalid, expired or already used' } });

      const events = s.auditRows().filter((row) => row.event.startsWith('saml.') || row.event.startsWith('launch.'));
      expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual([
        'saml.start:success', 'saml.login:success', 'launch.issue:success', 'launch.redeem:success', 'launch.redeem:refused',
      ]);
      expect(events[2]).toMatchObject({ subject: 'alice@example.edu', audience: AUD.sis, scope: 'student.read', jti: payload.jti, clientId: 'survey:course-eval' });
      expect(events[3]).toMatchObject({ jti: payload.jti });
      expect(JSON.stringify(s.auditRows())).not.toContain(code);
    });
  }

  it('refuses staff with a friendly page and an audit row naming the unmet rule', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    await registerSp(idp, s);
    const { acs } = await launchAs(PEOPLE.staff);
    expect(acs.status).toBe(403);
    const page = await acs.text();
    expect(page).toContain('This survey is not open to you');
    expect(page).toContain('only for respondents whose affiliation is one of: student');
    expect(page).toContain(acs.headers.get('x-request-id')!);
    expect(page).not.toMatch(/at .*\.ts:\d+/);
    expect(s.lastAudit()).toMatchObject({ event: 'launch.issue', outcome: 'refused', subject: 'bob@example.edu', reason: 'survey requires affiliation in [student]', requestId: acs.headers.get('x-request-id') });
  });

  it('binds InResponseTo to the browser that started the login', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    await registerSp(idp, s);
    const mine = new AppBrowser(s);
    const start = await mine.request('/launch/course-eval');
    const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.student);
    const other = new AppBrowser(s);
    const stolen = await other.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
    expect(stolen.status).toBe(400);
    expect(await stolen.text()).toContain('This sign-in was not started here');
    expect(s.lastAudit()).toMatchObject({ event: 'saml.login', outcome: 'refused' });
    expect(s.lastAudit().reason).toMatch(/^(unsolicited|in_response_to_mismatch)/);
    // The same response in the right browser still works once (the stolen try did not consume it) …
    expect((await mine.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse })).status).toBe(303);
    // … and never twice.
    const replay = await mine.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
    expect(replay.status).toBe(400);
    expect(s.lastAudit().reason).toMatch(/^(replayed|in_response_to_mismatch|unsolicited)/);
  });

  it('redeems over CORS only for the survey origin', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    await registerSp(idp, s);
    const { acs } = await launchAs(PEOPLE.student);
    const code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
    const preflight = await s.app.request('/launch/redeem', { method: 'OPTIONS', headers: { origin: SURVEY_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(SURVEY_ORIGIN);
    const evil = await redeem(code, { origin: 'https://evil.example' });
    expect(evil).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'this origin may not redeem launch codes' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const ok = await redeem(code, { origin: SURVEY_ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SURVEY_ORIGIN);
  });

  it('makes sub pairwise per audience when the survey asks, stable across launches', async () => {
    s = await startTestService({
      startAt: wholeSecondNow(),
      overrides: (dir) => {
        const base = samlOverrides(idp, { survey: { pairwise_subject: true } })(dir);
        const [survey] = base.surveys;
        return { ...base, surveys: [survey, { ...survey, id: 'reports-eval', audience: AUD.reports }] };
      },
    });
    await registerSp(idp, s);
    const subOf = async (surveyId: string) => {
      const browser = new AppBrowser(s);
      const start = await browser.request(`/launch/${surveyId}`);
      const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.student);
      const acs = await browser.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
      return (await redeem(new URL(acs.headers.get('location')!).searchParams.get('sts_code')!)).body.sub!;
    };
    const first = await subOf('course-eval');
    expect(first).toMatch(/^[\w-]{43}$/);
    expect(first).not.toContain('alice');
    expect(await subOf('course-eval')).toBe(first);
    expect(await subOf('reports-eval')).not.toBe(first);
  });

  it('GET /saml/login signs a person in without a survey', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    await registerSp(idp, s);
    const browser = new AppBrowser(s);
    const start = await browser.request('/saml/login');
    expect(start.status).toBe(303);
    const posted = await loginAtIdp(start.headers.get('location')!, PEOPLE.staff);
    const done = await browser.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Signed in as bob@example.edu.');
    expect(s.lastAudit()).toMatchObject({ event: 'saml.login', outcome: 'success', subject: 'bob@example.edu' });
    expect(JSON.parse(s.lastAudit().data!)).toMatchObject({ idp: 'campus', purpose: 'login' });
  });

  it('serves SP metadata with both keys and the ACS', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    const res = await s.app.request('/saml/metadata');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/samlmetadata+xml');
    const xml = await res.text();
    expect(xml).toContain(`entityID="${ISSUER}/saml/metadata"`);
    expect(xml).toContain(`Location="${ACS_URL}"`);
    expect(xml).toMatch(/use="signing"/);
    expect(xml).toMatch(/use="encryption"/);
  });

  it('answers an unknown survey with a friendly 404 and an audit row', async () => {
    s = await startTestService({ startAt: wholeSecondNow(), overrides: samlOverrides(idp) });
    const res = await new AppBrowser(s).request('/launch/no-such-survey');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Survey not found');
    expect(s.lastAudit()).toMatchObject({ event: 'saml.start', outcome: 'refused', reason: 'unknown survey "no-such-survey"' });
  });
});
