// The launch service over real collaborators: the SAML engine (signed test responses), the SSO service's one
// completion path, launch codes sealed in SQLite, the keystore and a fixed clock. Survey policy, pairwise sub,
// and the one-time code (single use, 60 s).
import { Hono } from 'hono';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { AccessDenied, InvalidGrant } from '../core/oauth-errors.js';
import { BrowserRefusal } from '../http/browser-refusal.js';
import type { AppEnv } from '../http/env.js';
import { createPendingLogins } from '../sso/pending-logins.js';
import { createSsoService, type SsoService } from '../sso/sso-service.js';
import { toB64 } from '../../test/support/saml/idp-signer.js';
import { createSamlWorld, type SamlWorld } from '../../test/support/saml/world.js';
import { ISSUER, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createLaunchCodes } from './launch-codes.js';
import { createLaunchService, type LaunchService } from './launch-service.js';
import { createPairwiseSubjects } from './pairwise.js';
import { createServiceSecretStore } from './service-secrets.js';

const SIS = 'https://sis.example.edu';
const ORIGIN = 'https://survey.example.edu';
const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu';
const survey = (s: Record<string, unknown>) => ({ url: `${ORIGIN}/jfe/form/SV_1`, audience: SIS, scopes: ['r'], origins: [ORIGIN], ...s });
/** The surveys as a parsed config holds them: their rules and CEL conditions compiled by the config. */
const parsedSurveys = (surveys: Record<string, unknown>[]) =>
  parseConfig({
    issuer: ISSUER,
    master_key: { key_env: 'K' },
    audiences: [{ id: SIS, scopes: ['r'] }],
    idps: [{ id: 'shib', metadata: { file: 'shib.xml' }, signed: 'both', subject: { source: 'eppn' } }],
    surveys,
  }).surveys;

let w: SamlWorld;
let p: TokenPath;
let sso: SsoService;
let launch: LaunchService;
let pairwise: (subject: string, audience: string) => string;
beforeAll(async () => {
  [w, p] = await Promise.all([createSamlWorld(), openTokenPath()]);
  p.clock.set(w.clock.now());
  sso = createSsoService({ sp: w.provider, pending: createPendingLogins(p.database.db), audit: p.audit, clock: w.clock, loginTtlSeconds: 300 });
  pairwise = await createPairwiseSubjects({ secrets: createServiceSecretStore(p.database.db), commit: p.committer.commit }, p.keyring, p.clock.now());
  const surveys = parsedSurveys([
    survey({ id: 'eval', require: { affiliation: ['student'] }, release: ['displayName'] }),
    survey({ id: 'staff-only', require: { affiliation: ['staff', 'faculty'] } }),
    survey({ id: 'vendor', pairwise_subject: true, origins: [] }),
    survey({ id: 'staff-cel', require: '"staff" in claims.affiliation || subject.endsWith("@staff.univ.edu")' }),
    survey({
      id: 'ruled',
      require: 'claims.cohort == ["students"]',
      claim_rules: { cohort: { cel: '"student" in claims.affiliation ? "students" : "others"' }, nick: { cel: 'claims.nickname[0]' } },
      release: ['cohort', 'nick'],
    }),
  ]);
  launch = createLaunchService({
    surveys: new Map(surveys.map((s) => [s.id, s])),
    defaultIdp: 'shib',
    signIn: async (c) => c.body(null, 500),
    codes: createLaunchCodes(p.database.db, p.keyring),
    audit: p.audit,
    clock: w.clock,
    keystore: p.keystore,
    revocations: p.revocations,
    issuer: ISSUER,
    tokens: { defaultTtlSeconds: 300, maxTtlSeconds: 600 },
    pairwise,
  });
});
afterAll(() => p.close());

/** A signed-in respondent at the ACS for `surveyId`, completed through the launch completion: the 303 Location. */
async function launchFor(surveyId: string): Promise<Response> {
  await sso.startLogin({ idpId: 'shib', purpose: 'launch', target: surveyId, browserNonce: 'nonce', requestId: 'req-start' });
  const requestId = p.database.sqlite.prepare('SELECT id FROM saml_requests ORDER BY rowid DESC LIMIT 1').pluck().get() as string;
  const accepted = await sso.acceptResponse(toB64(await w.idps.shib.response({ requestId, sign: 'response' })), 'nonce', 'req-acs');
  // A refusal is the browser flow's to answer (http/browser-refusal.ts): handed back here as thrown.
  let refused: unknown;
  const app = new Hono<AppEnv>().get('/', (c) =>
    launch.completion
      .complete(c, { login: accepted.login, target: surveyId, requestId: 'req-acs', finish: (extra, work) => sso.finishLogin(accepted, 'req-acs', { purpose: 'launch', ...extra }, work) })
      .catch((err: unknown) => ((refused = err), c.body(null, 500))),
  );
  const res = await app.request('/');
  if (refused) throw refused;
  return res;
}
const codeOf = (res: Response) => new URL(res.headers.get('location')!).searchParams.get('sts_code')!;
const redeem = (code: string | undefined, origin?: string) => launch.redeem({ readCode: async () => code, origin, requestId: 'req-redeem' });

describe('launch: survey policy', () => {
  it('accepts the only completion for surveys it knows', () => {
    expect([launch.completion.purpose, launch.completion.accepts('eval'), launch.completion.accepts('nope'), launch.completion.accepts(undefined)]).toEqual(['launch', true, false, false]);
  });

  it('refuses a respondent none of whose values the survey requires, with the launch.issue row in the login transaction', async () => {
    const before = p.auditRows().length;
    const err = await launchFor('staff-only').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserRefusal);
    expect({ status: (err as BrowserRefusal).status, reason: (err as BrowserRefusal).reason, audit: (err as BrowserRefusal).audit }).toEqual({
      status: 403, reason: 'survey requires affiliation in [staff, faculty]', audit: undefined,
    });
    expect(p.auditRows().slice(before).map((r) => [r.event, r.outcome, r.reason ?? null])).toEqual([
      ['saml.start', 'success', null], ['saml.login', 'success', null], ['launch.issue', 'refused', 'survey requires affiliation in [staff, faculty]'],
    ]);
  });
});

describe('launch: claim rules and CEL conditions of a survey', () => {
  it('refuses by a CEL condition: the page says so without the expression, the audit row quotes it', async () => {
    const before = p.auditRows().length;
    const err = (await launchFor('staff-cel').catch((e: unknown) => e)) as BrowserRefusal;
    const reason = 'survey condition not met: "staff" in claims.affiliation || subject.endsWith("@staff.univ.edu")';
    expect({ status: err.status, reason: err.reason, message: err.text.message }).toEqual({
      status: 403, reason, message: 'This survey is only for some respondents, and what your university told us about you does not show that you are one of them.',
    });
    expect(p.auditRows().slice(before).map((r) => [r.event, r.outcome, r.reason ?? null])).toEqual([['saml.start', 'success', null], ['saml.login', 'success', null], ['launch.issue', 'refused', reason]]);
  });

  it("computes the survey's own claims for its condition (where every value is a list) and release; a failed rule is audited as dropped", async () => {
    const fields = await redeem(codeOf(await launchFor('ruled')));
    expect(fields).toEqual({ cohort: 'students', sub: SUBJECT, token: fields.token, token_expires_at: expect.any(String), token_expires_in: '300' });
    expect(decodeJwt(fields.token!)).toMatchObject({ cohort: 'students' });
    const issued = p.auditRows().filter((r) => r.event === 'launch.issue').at(-1)!;
    expect(issued.data).toMatchObject({ survey: 'ruled', dropped: ['nick: rule_failed'] });
  });
});

describe('launch: code and token', () => {
  it('redirects with a one-time code that redeems once to the token and released claims', async () => {
    const res = await launchFor('eval');
    expect(res.status).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const code = codeOf(res);
    expect(code).toMatch(/^[\w-]{43}$/);
    const fields = await redeem(code);
    const exp = new Date(w.clock.now().getTime() + 300_000).toISOString();
    expect(fields).toEqual({ displayName: 'Alice Example', sub: SUBJECT, token: fields.token, token_expires_at: exp, token_expires_in: '300' });
    expect(decodeJwt(fields.token!)).toMatchObject({ sub: SUBJECT, aud: SIS, client_id: 'survey:eval', scope: 'r', displayName: 'Alice Example' });
    // It descends from the assertion, by the hash its login row names it by.
    const login = p.auditRows().findLast((r) => r.event === 'saml.login') as { data: { assertion: string } };
    expect(decodeJwt(fields.token!).lineage).toEqual([login.data.assertion]);
  });

  it('refuses a replayed code, audited with the survey, client and token it tried', async () => {
    const code = codeOf(await launchFor('eval'));
    const { jti } = decodeJwt((await redeem(code)).token!);
    await expect(redeem(code)).rejects.toMatchObject({ constructor: InvalidGrant, description: 'the launch code is invalid, expired or already used', detail: 'launch code already used' });
    expect(p.auditRows().at(-1)).toEqual({
      event: 'launch.redeem', outcome: 'refused', requestId: 'req-redeem', clientId: 'survey:eval', jti, reason: 'launch code already used', data: { survey: 'eval' },
    });
  });

  it('refuses a code after its 60 seconds (attributed too), and an unknown code (attributed to nothing)', async () => {
    const code = codeOf(await launchFor('eval'));
    const { jti } = p.auditRows().at(-1) as { jti: string };
    w.clock.advance(60_000);
    try {
      await expect(redeem(code)).rejects.toMatchObject({ constructor: InvalidGrant, detail: 'launch code expired' });
      expect(p.auditRows().at(-1)).toEqual({
        event: 'launch.redeem', outcome: 'refused', requestId: 'req-redeem', clientId: 'survey:eval', jti, reason: 'launch code expired', data: { survey: 'eval' },
      });
    } finally {
      w.clock.advance(-60_000);
    }
    await expect(redeem('A'.repeat(43))).rejects.toMatchObject({ constructor: InvalidGrant, detail: 'launch code is unknown' });
    expect(p.auditRows().at(-1)).toEqual({ event: 'launch.redeem', outcome: 'refused', requestId: 'req-redeem', reason: 'launch code is unknown', data: {} });
  });

  it('does not burn a code presented from an origin the survey does not allow', async () => {
    const code = codeOf(await launchFor('vendor'));
    await expect(redeem(code, ORIGIN)).rejects.toMatchObject({ constructor: AccessDenied, detail: `origin "${ORIGIN}" is not allowed for survey vendor` });
    await expect(redeem(code)).resolves.toMatchObject({ sub: pairwise(SUBJECT, SIS) });
  });

  it('gives a pairwise survey the pairwise subject for its audience, not the campus identifier', async () => {
    const fields = await redeem(codeOf(await launchFor('vendor')));
    expect(fields.sub).toBe(pairwise(SUBJECT, SIS));
    expect(fields.sub).not.toBe(SUBJECT);
    expect(decodeJwt(fields.token!).sub).toBe(fields.sub);
  });
});

describe('launch: a pending code dies with its token', () => {
  const cutOff = (subject: string) =>
    p.committer.commit((tx) => p.revocations.cutOff(tx, { subject, cutoff: new Date(w.clock.now().getTime() + 1), expiresAt: new Date(w.clock.now().getTime() + 3_600_000) }));

  it("refuses a code whose token's subject was cut off (a pairwise subject), as an unknown code", async () => {
    const code = codeOf(await launchFor('vendor'));
    const { jti } = p.auditRows().at(-1) as { jti: string };
    const other = codeOf(await launchFor('eval'));
    await cutOff(pairwise(SUBJECT, SIS));
    const before = p.auditRows().length;
    const reason = `launch token revoked: every token of its subject issued before ${new Date(w.clock.now().getTime() + 1).toISOString()} was revoked`;
    await expect(redeem(code)).rejects.toMatchObject({ constructor: InvalidGrant, description: 'the launch code is invalid, expired or already used', detail: reason });
    expect(p.auditRows().slice(before)).toEqual([
      { event: 'launch.redeem', outcome: 'refused', requestId: 'req-redeem', clientId: 'survey:vendor', jti, reason, data: { survey: 'vendor' } },
    ]);
    await expect(redeem(code)).rejects.toMatchObject({ detail: reason });
    // The campus subject's own token (another survey, not pairwise) is another `sub`: untouched.
    await expect(redeem(other)).resolves.toMatchObject({ sub: SUBJECT });
  });
});
