import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { alphaToken, AT_TYPE, AUD, EXCHANGE, ISSUER, SECRETS, type TestService } from '../helpers/service.js';
import { startQualtricsFake, type QualtricsFake } from '../support/oauth/vendors.js';
import { toB64, type TestIdp } from '../support/saml/idp-signer.js';
import { QUALTRICS } from '../upstream/vendor-world.js';
import { startInstancesWithIdp } from './instances-with-idp.js';
import { auditRowsOf, qualtricsWhoami, RoamingBrowser, withQualtricsEnv, type Instances } from './pg-instances.js';

/**
 * Revocation that follows the chain, and subject-wide cutoffs, on two instances of one PostgreSQL database: what
 * one instance (or `campus-sts revoke` beside them) revokes, the other refuses on its very next request, on every
 * path that accepts a token: introspection, exchange, the upstream proxy (its verified-bearer cache already holding
 * the token), and launch-code redemption (a pairwise subject's code, pending when its person was cut off).
 */
const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu'; // alice's pairwise-id at the IdP, lower-cased
const SURVEY_URL = 'https://survey.example.edu/s';
const alpha: [string, string] = ['alpha', SECRETS.alpha];
const INVALID_GRANT = { error: 'invalid_grant', error_description: 'grant request is invalid' };
const INVALID_TOKEN = { error: 'invalid_token', error_description: 'the token is invalid, expired or revoked' };
const USED_CODE = { error: 'invalid_grant', error_description: 'the launch code is invalid, expired or already used' };

let q: QualtricsFake;
let cluster: Instances;
let a: TestService;
let b: TestService;
let idp: TestIdp;

beforeAll(async () => {
  q = await startQualtricsFake(QUALTRICS);
  ({ cluster, a, b, idp } = await startInstancesWithIdp({
    env: withQualtricsEnv(),
    allowUnsolicited: true,
    config: {
      surveys: [
        { id: 'eval', url: SURVEY_URL, audience: AUD.sis, scopes: ['student.read'] },
        { id: 'eval-pairwise', url: SURVEY_URL, audience: AUD.reports, scopes: ['student.read'], pairwise_subject: true },
      ],
      upstreams: [qualtricsWhoami(q.origin)],
    },
  }));
});
afterAll(async () => {
  await cluster?.stop();
  await q?.stop();
});

const introspect = async (s: TestService, token: string) => (await s.post('/introspect', { token }, alpha)).json();
/** An exchange that keeps the subject token's audience (sis: the upstream's), so each link is a bearer token too. */
async function exchange(s: TestService, token: string) {
  const res = await s.post('/token', { grant_type: EXCHANGE, subject_token: token, subject_token_type: AT_TYPE }, alpha);
  return { status: res.status, body: (await res.json()) as { access_token?: string } };
}
async function viaProxy(s: TestService, token: string) {
  const res = await s.app.request(`${ISSUER}/upstreams/qualtrics/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}
/** A student's launch of `survey` at `s` (an IdP-initiated sign-in): the one-time code in the redirect. */
async function launchCode(s: TestService, survey: string): Promise<string> {
  const acs = await new RoamingBrowser().postForm(s, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId: null, sign: 'response' })), RelayState: survey });
  expect(acs.status).toBe(303);
  return new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
}
async function redeem(s: TestService, code: string) {
  const res = await s.app.request('/launch/redeem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
const lastReason = async (s: TestService, event: string) => (await auditRowsOf(s, event)).at(-1)?.reason;

describe('revocation that follows the chain, across instances', () => {
  it('a token revoked on A: B refuses every token exchanged from it, its cached bearer included; its parent stays active', async () => {
    const root = await alphaToken(a);
    const child = (await exchange(b, root)).body.access_token!;
    const grandchild = (await exchange(a, child)).body.access_token!;
    const [rootJti, childJti] = [decodeJwt(root).jti, decodeJwt(child).jti];
    expect(decodeJwt(grandchild).lineage).toEqual([rootJti, childJti]);
    expect((await viaProxy(b, grandchild)).status).toBe(200);

    expect((await a.post('/revoke', { token: child }, alpha)).status).toBe(200);

    const reason = `token revoked: it descends from ${childJti}, which was revoked`;
    expect(await introspect(b, grandchild)).toEqual({ active: false });
    expect(await lastReason(b, 'token.introspect')).toBe(reason);
    expect(await exchange(b, grandchild)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await lastReason(b, 'token.issue')).toBe(reason);
    expect(await viaProxy(b, grandchild)).toEqual({ status: 401, body: INVALID_TOKEN });
    expect(await lastReason(b, 'upstream.call')).toBe(reason);
    expect(await introspect(b, child)).toEqual({ active: false });
    expect(await introspect(b, root)).toMatchObject({ active: true, jti: rootJti });
  });
});

describe('subject-wide revocation (campus-sts revoke --subject), across instances', () => {
  const revoke = (args: string[]) => captureCli((io) => runCli(['revoke', '--config', writeConfigFile(a), ...args], io, a.clock), { ...a.env, USER: 'ops' });

  it("cuts off a person's tokens and pending launch codes, their pairwise subject's too, on B at once; later ones work", async () => {
    const studentToken = (await redeem(a, await launchCode(a, 'eval'))).body.token!;
    const pendingPairwise = await launchCode(a, 'eval-pairwise');
    const pendingCampus = await launchCode(b, 'eval');
    const alphas = await alphaToken(b);
    expect((await viaProxy(b, studentToken)).status).toBe(200);

    cluster.advance(1000);
    const r = await revoke(['--subject', SUBJECT]);
    const cutoff = a.clock.now().toISOString();
    expect(r).toEqual({ code: 0, err: '', out: `revoked every token of ${SUBJECT} issued before ${cutoff}, and every token of its 1 pairwise subject(s)\nlaunch codes not yet redeemed for them can no longer be redeemed` });
    expect((await auditRowsOf(b, 'subject.revoke')).map((row) => [row.subject, row.data])).toEqual([[SUBJECT, JSON.stringify({ actor: 'cli:ops', before: cutoff, pairwise_subjects: 1 })]]);

    const reason = `token revoked: every token of its subject issued before ${cutoff} was revoked`;
    expect(await viaProxy(b, studentToken)).toEqual({ status: 401, body: INVALID_TOKEN });
    expect(await lastReason(b, 'upstream.call')).toBe(reason);
    for (const code of [pendingPairwise, pendingCampus]) {
      expect(await redeem(b, code)).toEqual({ status: 400, body: USED_CODE });
      expect(await lastReason(b, 'launch.redeem')).toBe(`launch ${reason}`);
    }
    // Someone else's token is untouched; the person's next sign-in (after the cutoff) works.
    expect(await introspect(b, alphas)).toMatchObject({ active: true });
    cluster.advance(1000);
    const fresh = (await redeem(b, await launchCode(b, 'eval-pairwise'))).body.token!;
    expect(decodeJwt(fresh).iat! * 1000).toBeGreaterThan(Date.parse(cutoff));
    // alpha may not introspect a survey's token, but B verified it (revocation included) before saying so.
    expect(await introspect(b, fresh)).toEqual({ active: false });
    expect(await lastReason(b, 'token.introspect')).toBe(`caller alpha is neither the client nor an audience of token ${decodeJwt(fresh).jti}`);
    const later = await redeem(a, await launchCode(a, 'eval'));
    expect(later.status).toBe(200);
    expect(await viaProxy(b, later.body.token!)).toMatchObject({ status: 200 });
  });

  it("cuts off a client's own tokens (sub = its id): B answers inactive and refuses the exchange and the cached proxied call", async () => {
    const token = await alphaToken(a);
    expect((await viaProxy(b, token)).status).toBe(200);
    cluster.advance(1000);
    expect((await revoke(['--subject', 'alpha', '--before', a.clock.now().toISOString()])).code).toBe(0);
    expect(await introspect(b, token)).toEqual({ active: false });
    expect(await exchange(b, token)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await viaProxy(b, token)).toEqual({ status: 401, body: INVALID_TOKEN });
    cluster.advance(1000);
    expect(await introspect(a, await alphaToken(b))).toMatchObject({ active: true });
  });
});
