import { inflateRawSync } from 'node:zlib';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../src/db/schema/audit-log.js';
import { toB64, type TestIdp } from '../support/saml/idp-signer.js';
import { AUD, ISSUER, type TestService } from '../helpers/service.js';
import { startInstancesWithIdp } from './instances-with-idp.js';
import { RoamingBrowser, type Instances } from './pg-instances.js';

/**
 * One-time values are one-time across instances: a sign-in started on one instance finishes on another, a launch
 * code and a SAML assertion are each accepted once whichever instances they reach (at the same moment too), and a
 * client assertion's `jti` is single-use on all of them.
 */
const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu'; // the pairwise-id, lower-cased
const SURVEY_URL = 'https://survey.example.edu/s';
const USED_CODE = { error: 'invalid_grant', error_description: 'the launch code is invalid, expired or already used' };
const USED_CODE_REASON = 'launch code already used';

let cluster: Instances;
let a: TestService;
let b: TestService;
let idp: TestIdp;

beforeAll(async () => {
  ({ cluster, a, b, idp } = await startInstancesWithIdp({
    allowUnsolicited: true,
    config: {
      surveys: [
        { id: 'eval', url: SURVEY_URL, audience: AUD.sis, scopes: ['student.read'] },
        { id: 'eval-pairwise', url: SURVEY_URL, audience: AUD.sis, scopes: ['student.read'], pairwise_subject: true },
      ],
    },
  }));
});
afterAll(() => cluster?.stop());

/** The rows of these requests (by X-Request-Id), in chain order, as `event:outcome`. */
async function rowsOf(...responses: Response[]): Promise<AuditRow[]> {
  const ids = new Set(responses.map((r) => r.headers.get('x-request-id')));
  return (await cluster.rows()).filter((r) => ids.has(r.requestId));
}
const shape = (rows: AuditRow[]) => rows.map((r) => `${r.event}:${r.outcome}`);

/** GET /launch/{survey} on `s`: the AuthnRequest ID, read from the redirect to the IdP (deflated, base64). */
async function startLaunch(browser: RoamingBrowser, s: TestService, survey = 'eval'): Promise<{ start: Response; requestId: string }> {
  const start = await browser.request(s, `/launch/${survey}`);
  expect(start.status).toBe(303);
  const request = new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!;
  const requestId = /\sID="([^"]+)"/.exec(inflateRawSync(Buffer.from(request, 'base64')).toString('utf8'))![1]!;
  return { start, requestId };
}

const codeOf = (acs: Response) => new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;

async function redeem(s: TestService, code: string): Promise<{ res: Response; status: number; body: Record<string, string> }> {
  const res = await s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  return { res, status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('SAML sign-in across instances', () => {
  it('a login started on A completes at the ACS on B, in the same browser', async () => {
    const browser = new RoamingBrowser();
    const { start, requestId } = await startLaunch(browser, a);
    const acs = await browser.postForm(b, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
    expect(acs.status, (await rowsOf(acs)).at(-1)?.reason ?? '').toBe(303);
    expect(acs.headers.get('location')).toMatch(new RegExp(`^${SURVEY_URL}\\?sts_code=[\\w-]{43}$`));
    expect(shape(await rowsOf(start))).toEqual(['saml.start:success']);
    const finished = await rowsOf(acs);
    expect(shape(finished)).toEqual(['saml.login:success', 'launch.issue:success']);
    expect(finished[1]).toMatchObject({ subject: SUBJECT, clientId: 'survey:eval', audience: AUD.sis, scope: 'student.read' });
  });

  it('gives one person the same pairwise subject on every instance (one service secret, made once)', async () => {
    const subs: string[] = [];
    for (const s of [a, b]) {
      const browser = new RoamingBrowser();
      const { requestId } = await startLaunch(browser, s, 'eval-pairwise');
      const acs = await browser.postForm(s, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
      expect(acs.status).toBe(303);
      subs.push((await rowsOf(acs)).find((r) => r.event === 'launch.issue')!.subject!);
    }
    expect(subs[0]).toMatch(/^[\w-]{43}$/);
    expect(subs[1]).toBe(subs[0]);
  });

  it('a login started on B is not finished by another browser at A', async () => {
    const { requestId } = await startLaunch(new RoamingBrowser(), b);
    const other = new RoamingBrowser();
    const acs = await other.postForm(a, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
    expect(acs.status).toBe(400);
    expect(await acs.text()).toContain('This sign-in was not started here');
    const rows = await rowsOf(acs);
    expect(shape(rows)).toEqual(['saml.login:refused']);
    expect(rows[0]!.reason).toMatch(/^in_response_to_mismatch: /);
  });

  it('the same response posted to A and B at the same moment signs in once', async () => {
    const browser = new RoamingBrowser();
    const { requestId } = await startLaunch(browser, a);
    const form = { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) };
    const answers = await Promise.all([a, b].map((s) => browser.postForm(s, '/saml/acs', form)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 400]);
    const refused = answers.find((r) => r.status === 400)!;
    expect(await refused.text()).toContain('This sign-in was already used');
    const rows = await rowsOf(...answers);
    expect(shape(rows).sort()).toEqual(['launch.issue:success', 'saml.login:refused', 'saml.login:success']);
    // Refused by the assertion-ID replay store, or (had the first finished first) by the consumed pending login.
    expect(['replayed: assertion ID already used', 'replayed: pending login already consumed']).toContain(rows.find((r) => r.outcome === 'refused')!.reason);
  });

  it('an unsolicited assertion posted to A and B at the same moment is accepted once (the replay store)', async () => {
    const form = { SAMLResponse: toB64(await idp.response({ requestId: null, sign: 'response' })), RelayState: 'eval' };
    const answers = await Promise.all([a, b].map((s) => new RoamingBrowser().postForm(s, '/saml/acs', form)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 400]);
    const rows = await rowsOf(...answers);
    expect(shape(rows).sort()).toEqual(['launch.issue:success', 'saml.login:refused', 'saml.login:success']);
    expect(rows.find((r) => r.outcome === 'refused')).toMatchObject({ reason: 'replayed: assertion ID already used', subject: null });
    // Later, on either instance: still refused.
    for (const s of [a, b]) {
      const again = await new RoamingBrowser().postForm(s, '/saml/acs', form);
      expect(again.status).toBe(400);
      expect((await rowsOf(again))[0]).toMatchObject({ event: 'saml.login', outcome: 'refused', reason: 'replayed: assertion ID already used' });
    }
  });
});

describe('launch codes across instances', () => {
  async function mintOn(s: TestService): Promise<{ code: string; acs: Response }> {
    const browser = new RoamingBrowser();
    const { requestId } = await startLaunch(browser, s);
    const acs = await browser.postForm(s, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
    expect(acs.status).toBe(303);
    return { code: codeOf(acs), acs };
  }

  it('a code minted on A is redeemed on B once; a second redeem on A or on B is refused and audited', async () => {
    const { code, acs } = await mintOn(a);
    const first = await redeem(b, code);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ sub: SUBJECT, token: expect.stringMatching(/^eyJ/), token_expires_at: expect.any(String), token_expires_in: '300' });
    // The token B hands out was minted on A: it verifies with the keys either instance publishes.
    const jwks = createLocalJWKSet((await (await b.app.request('/jwks.json')).json()) as never);
    const { payload } = await jwtVerify(first.body.token!, jwks, { issuer: ISSUER, audience: AUD.sis, currentDate: b.clock.now() });
    expect(payload).toMatchObject({ sub: SUBJECT, client_id: 'survey:eval', scope: 'student.read' });

    const onA = await redeem(a, code);
    const onB = await redeem(b, code);
    for (const again of [onA, onB]) expect({ status: again.status, body: again.body }).toEqual({ status: 400, body: USED_CODE });

    const issued = (await rowsOf(acs)).find((r) => r.event === 'launch.issue')!;
    expect(issued).toMatchObject({ outcome: 'success', jti: payload.jti });
    expect(await rowsOf(first.res)).toEqual([expect.objectContaining({ event: 'launch.redeem', outcome: 'success', clientId: 'survey:eval', jti: payload.jti, reason: null })]);
    for (const again of [onA, onB]) {
      // The replay on either instance is attributed to the survey and the token it tried.
      expect(await rowsOf(again.res)).toEqual([expect.objectContaining({ event: 'launch.redeem', outcome: 'refused', clientId: 'survey:eval', jti: payload.jti, reason: USED_CODE_REASON })]);
    }
    expect(JSON.stringify(await cluster.rows())).not.toContain(code);
  });

  it('a code redeemed on A and B at the same moment is redeemed once', async () => {
    const { code } = await mintOn(b);
    const answers = await Promise.all([a, b].map((s) => redeem(s, code)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(answers.find((r) => r.status === 400)!.body).toEqual(USED_CODE);
    const rows = await rowsOf(...answers.map((r) => r.res));
    expect(shape(rows).sort()).toEqual(['launch.redeem:refused', 'launch.redeem:success']);
    expect(rows.find((r) => r.outcome === 'refused')!.reason).toBe(USED_CODE_REASON);
  });
});

describe('client assertions (private_key_jwt) across instances', () => {
  const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

  async function assertion(): Promise<string> {
    const now = Math.floor(a.clock.now().getTime() / 1000);
    return new SignJWT({ iss: 'gamma', sub: 'gamma', aud: `${ISSUER}/token`, iat: now, exp: now + 60, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'gamma-1' }).sign(a.gammaKey);
  }
  const form = (clientAssertion: string) => ({
    grant_type: 'client_credentials',
    audience: AUD.other,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: clientAssertion,
  });

  it('a jti used on A is refused on B, and on A again', async () => {
    const jwt = await assertion();
    const first = await a.post('/token', form(jwt));
    expect(first.status).toBe(200);
    const refusals = [await b.post('/token', form(jwt)), await a.post('/token', form(jwt))];
    for (const res of refusals) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(INVALID_CLIENT);
    }
    expect(shape(await rowsOf(first))).toEqual(['token.issue:success']);
    for (const res of refusals) {
      expect(await rowsOf(res)).toEqual([expect.objectContaining({ event: 'token.issue', outcome: 'refused', clientId: 'gamma', reason: 'client assertion jti already used' })]);
    }
  });

  it('one assertion posted to A and B at the same moment authenticates once', async () => {
    const jwt = await assertion();
    const answers = await Promise.all([a, b].map((s) => s.post('/token', form(jwt))));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(await answers.find((r) => r.status === 401)!.json()).toEqual(INVALID_CLIENT);
    const rows = await rowsOf(...answers);
    expect(shape(rows).sort()).toEqual(['token.issue:refused', 'token.issue:success']);
    expect(rows.find((r) => r.outcome === 'refused')).toMatchObject({ clientId: 'gamma', reason: 'client assertion jti already used' });
  });
});

it('leaves one audit chain that verifies, whichever instance wrote each row', async () => {
  expect(await cluster.verify()).toMatchObject({ ok: true, problems: [] });
});
