import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlRequests } from '../../src/db/schema/saml-requests.js';
import * as atk from '../support/saml/attacks.js';
import { ALG, TestIdp, aliceAttributes, toB64, type ResponseOptions } from '../support/saml/idp-signer.js';
import { testKeyPair, type TestKeyPair } from '../support/saml/keys.js';
import { entityXml } from '../support/saml/metadata-fixtures.js';
import { AppBrowser } from '../helpers/saml.js';
import { AUD, ISSUER, startTestService, type TestService } from '../helpers/service.js';

/**
 * The attack corpus (src/saml/attack-corpus.test.ts) proves each refusal reason at the engine. Here a
 * representative set goes through the real ACS: each gets the friendly page, no redirect, no token, and an
 * audit row whose reason starts with the engine's reason.
 */
const IDP = 'https://idp.univ.edu/idp/shibboleth';
let key: TestKeyPair;
let attacker: TestKeyPair;
let s: TestService;
let idp: TestIdp;

beforeAll(async () => {
  [key, attacker] = await Promise.all([testKeyPair('acs-idp'), testKeyPair('attacker')]);
  s = await startTestService({
    startAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    overrides: (dir) => {
      const metadata = join(dir, 'idp.xml');
      writeFileSync(metadata, entityXml({ entityId: IDP, signingCertPem: key.certPem, scopes: [{ value: 'univ.edu' }] }));
      return {
        saml: { keys_dir: join(dir, 'certs') },
        idps: [{ id: 'shib', metadata: { file: metadata }, signed: 'response', subject: { source: 'pairwise-id' } }],
        surveys: [{ id: 'eval', url: 'https://survey.example.edu/s', audience: AUD.sis, scopes: ['student.read'] }],
      };
    },
  });
  idp = new TestIdp({ entityId: IDP, key, sp: { entityId: `${ISSUER}/saml/metadata`, acsUrl: `${ISSUER}/saml/acs`, encryptionCertPem: key.certPem }, clock: s.clock, attributes: aliceAttributes() });
});
afterAll(() => s.stop());

/** Starts a launch in a fresh browser; returns the browser and the AuthnRequest ID it is waiting for. */
async function pendingLaunch(): Promise<{ browser: AppBrowser; requestId: string }> {
  const before = new Set(s.sqlite.db.select({ id: samlRequests.id }).from(samlRequests).all().map((r) => r.id));
  const browser = new AppBrowser(s);
  expect((await browser.request('/launch/eval')).status).toBe(303);
  const row = s.sqlite.db.select().from(samlRequests).all().find((r) => !before.has(r.id))!;
  return { browser, requestId: row.id };
}

const fresh = (requestId: string, o: Partial<ResponseOptions> = {}) => idp.response({ requestId, sign: 'response', ...o });

const cases: [string, (requestId: string) => Promise<string>, string][] = [
  ['XSW3 (evil assertion beside the signed one)', async (id) => toB64(atk.xsw3(await fresh(id, { sign: 'both' }))), 'multiple_assertions'],
  ['a response re-signed by an attacker with his cert in KeyInfo', async (id) => toB64(await fresh(id, { signer: { key: attacker } })), 'signature_invalid'],
  ['an RSA-SHA1 signature', async (id) => toB64(await fresh(id, { signer: { signatureAlgorithm: ALG.rsaSha1, digestAlgorithm: ALG.sha1 } })), 'algorithm_forbidden'],
  ['a wrong Audience', async (id) => toB64(await fresh(id, { assertion: { conditions: { notBefore: s.clock.now(), notOnOrAfter: new Date(s.clock.now().getTime() + 300_000), audiences: [['https://other-sp.example']] } } })), 'audience_mismatch'],
  ['a wrong Recipient', async (id) => toB64(await fresh(id, { assertion: { confirmations: [{ recipient: 'https://evil.example/acs', notOnOrAfter: new Date(s.clock.now().getTime() + 300_000), inResponseTo: id }] } })), 'recipient_mismatch'],
  ['an InResponseTo of another request', async () => toB64(await fresh('_someone-elses-request')), 'in_response_to_mismatch'],
  ['a DOCTYPE', async (id) => toB64(atk.withDoctype(await fresh(id), '<!DOCTYPE r [<!ENTITY x "y">]>')), 'doctype_forbidden'],
  ['malformed base64', async () => '%%%not-base64%%%', 'malformed_base64'],
  ['a response over saml.max_response_bytes', async () => Buffer.alloc(270_000, '<').toString('base64'), 'too_large'],
  ['a form body over the ACS limit (cut off while streaming)', async () => 'A'.repeat(400_000), 'too_large: the request body is larger than'],
  [
    'an assertion issued two hours ago, still inside its validity window',
    async (id) => {
      const now = s.clock.now().getTime();
      const twoHoursAgo = new Date(now - 7_200_000);
      return toB64(await fresh(id, { assertion: { issueInstant: twoHoursAgo, conditions: { notBefore: twoHoursAgo, notOnOrAfter: new Date(now + 3_600_000), audiences: [[`${ISSUER}/saml/metadata`]] }, authn: { instant: twoHoursAgo } } }));
    },
    'assertion_too_old',
  ],
];

describe('the ACS refuses attacks with a page and an audit row', () => {
  for (const [name, build, reason] of cases) {
    it(name, async () => {
      const { browser, requestId } = await pendingLaunch();
      const res = await browser.postForm('/saml/acs', { SAMLResponse: await build(requestId) });
      expect([400, 413]).toContain(res.status);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const page = await res.text();
      expect(page).toContain(res.headers.get('x-request-id')!);
      expect(page).not.toContain(reason);
      const row = s.lastAudit();
      expect(row).toMatchObject({ event: 'saml.login', outcome: 'refused', requestId: res.headers.get('x-request-id'), subject: null, jti: null });
      expect(row.reason).toMatch(new RegExp(`^${reason}`));
    });
  }

  it('an assertion older than 5 minutes plus skew: its own reason, the IssueInstant in the row, the expiry page', async () => {
    const { browser, requestId } = await pendingLaunch();
    const issued = new Date(s.clock.now().getTime() - 361_000);
    const res = await browser.postForm('/saml/acs', { SAMLResponse: toB64(await fresh(requestId, { assertion: { issueInstant: issued } })) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Your sign-in expired');
    expect(s.lastAudit()).toMatchObject({
      event: 'saml.login', outcome: 'refused', requestId: res.headers.get('x-request-id'), subject: null,
      reason: `assertion_too_old: IssueInstant ${issued.toISOString()} is more than 300 s (+ 60 s skew) old`,
    });
  });

  it('two different responses to one request, posted at once: one launch, one friendly refusal, never a 503', async () => {
    const { browser, requestId } = await pendingLaunch();
    const [first, second] = [await fresh(requestId), await fresh(requestId)];
    const answers = await Promise.all([first, second].map((xml) => browser.postForm('/saml/acs', { SAMLResponse: toB64(xml) })));
    expect(answers.map((a) => a.status).sort()).toEqual([303, 400]);
    const refused = answers.find((a) => a.status === 400)!;
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    const rows = s.auditRows().filter((r) => r.event === 'saml.login' && r.outcome === 'refused' && r.requestId === refused.headers.get('x-request-id'));
    expect(rows).toHaveLength(1);
    // Either the second found the login already consumed at commit, or no longer pending at validation.
    expect(rows[0]!.reason).toMatch(/^(replayed: pending login already consumed|in_response_to_mismatch)/);
  });

  it('a genuine response still works in the same service (the cases above were refused for their own reason)', async () => {
    const { browser, requestId } = await pendingLaunch();
    const res = await browser.postForm('/saml/acs', { SAMLResponse: toB64(await fresh(requestId)) });
    expect(res.status, s.lastAudit().reason ?? '').toBe(303);
    expect(res.headers.get('location')).toMatch(/^https:\/\/survey\.example\.edu\/s\?sts_code=[\w-]{43}$/);
  });
});

/** The value of campus_sts_saml_refusals_total for one reason (0 when the series does not exist yet). */
async function refusals(reason: string): Promise<number> {
  const text = await (await s.app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`campus_sts_saml_refusals_total{reason="${reason}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('refusals before the SAMLResponse is decoded have a reason of their own, in the audit row and in /metrics', () => {
  const form = 'application/x-www-form-urlencoded';
  const preDecode: [string, () => RequestInit, 400 | 413, string][] = [
    ['a body that is not a form', () => ({ headers: { 'content-type': 'text/xml' }, body: '<samlp:Response/>' }), 400, 'content_type_unsupported: content-type "text/xml"'],
    ['no content type at all', () => ({ body: Buffer.from('SAMLResponse=PHg%2B') }), 400, 'content_type_unsupported: content-type (none)'],
    ['a form without SAMLResponse', () => ({ headers: { 'content-type': form }, body: 'RelayState=eval' }), 400, 'saml_response_missing: no SAMLResponse in the form'],
    ['an empty SAMLResponse', () => ({ headers: { 'content-type': form }, body: 'SAMLResponse=' }), 400, 'saml_response_missing: no SAMLResponse in the form'],
    ['SAMLResponse twice', () => ({ headers: { 'content-type': form }, body: 'SAMLResponse=PHg%2B&SAMLResponse=PHk%2B' }), 400, 'form_malformed: parameter SAMLResponse is included more than once'],
    ['a form that is not UTF-8', () => ({ headers: { 'content-type': form }, body: Buffer.from([0x53, 0x3d, 0xff, 0xfe]) }), 400, 'form_malformed: the request body is not UTF-8'],
    ['a declared length over the ACS limit', () => ({ headers: { 'content-type': form, 'content-length': '400000' }, body: 'A'.repeat(400_000) }), 413, 'too_large: the request body is larger than 371098 bytes'],
  ];

  for (const [name, init, status, reason] of preDecode) {
    it(name, async () => {
      const code = reason.split(':')[0]!;
      const before = await refusals(code);
      const res = await new AppBrowser(s).request('/saml/acs', { method: 'POST', ...init() });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain('We could not read the sign-in');
      expect(page).toContain(res.headers.get('x-request-id')!);
      expect(page).not.toContain(code);
      expect(s.lastAudit()).toMatchObject({ event: 'saml.login', outcome: 'refused', requestId: res.headers.get('x-request-id'), subject: null, jti: null, reason });
      expect(await refusals(code)).toBe(before + 1);
      expect(await refusals('other')).toBe(0);
    });
  }
});
