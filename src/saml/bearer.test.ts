// RFC 7522 / RFC 8693 saml2 subject tokens: bare signed assertions, base64url, verified by our own
// xml-crypto verifier (node-saml cannot, gap G13) and judged by the same checks and replay store.
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR, NAMEID_FORMAT } from './constants.js';
import { SamlConfigError, SamlRefusal, type SamlRefusalReason } from './errors.js';
import * as atk from '../../test/support/saml/attacks.js';
import { ALG, aliceAttributes, toB64, toB64url } from '../../test/support/saml/idp-signer.js';
import { ACS_URL, IDP_ENTITY, SP_ENTITY_ID, TOKEN_ENDPOINT, createSamlWorld, type SamlWorld } from '../../test/support/saml/world.js';

let w: SamlWorld;
beforeAll(async () => {
  w = await createSamlWorld();
});
const expected = { recipient: TOKEN_ENDPOINT };

describe('valid bearer assertions', () => {
  it('returns the exact SamlLogin', async () => {
    const xml = w.idps.shib.bearerAssertion(TOKEN_ENDPOINT);
    const id = /ID="([^"]+)"/.exec(xml)?.[1];
    const now = w.clock.now();
    const login = await w.provider.validateBearerAssertion(toB64url(xml), expected);
    expect(login).toEqual({
      idpId: 'shib',
      idpEntityId: IDP_ENTITY.shib,
      assertionId: id,
      subject: 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu',
      subjectSource: 'pairwise-id',
      nameId: { value: 'opaque-7f3a', format: NAMEID_FORMAT.persistent },
      sessionIndex: '_session-1',
      authnInstant: new Date(now.getTime() - 10_000),
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      issueInstant: now,
      notOnOrAfter: new Date(now.getTime() + 5 * 60_000),
      claims: {
        eppn: 'alice@univ.edu', affiliation: ['student', 'member'], scopedAffiliation: ['student@univ.edu'], mail: 'alice@univ.edu',
        displayName: 'Alice Example', pairwiseId: 'HK3P5Q2ZLZ7JPZHCV5H3ATBIEQ3EUHHT@univ.edu', subjectId: 'alice1234@univ.edu',
      },
      dropped: [],
    });
  });

  it('needs no AuthnStatement (RFC 7522 §3) and accepts optional base64url padding', async () => {
    const xml = w.idps.adfs.bearerAssertion(TOKEN_ENDPOINT, { authn: null });
    const padded = toB64(xml).replace(/\+/g, '-').replace(/\//g, '_');
    const login = await w.provider.validateBearerAssertion(padded, expected);
    expect(login.authnInstant).toBeUndefined();
    expect(login.subject).toBe(`${IDP_ENTITY.adfs}!${SP_ENTITY_ID}!opaque-7f3a`);
  });
});

interface BearerCase {
  id: string;
  build(w: SamlWorld): string | Promise<string>;
  raw?: boolean;
  recipient?: string;
  reason: SamlRefusalReason;
  detail?: string;
}

const cases: BearerCase[] = [
  { id: 'Recipient is the ACS, not the token endpoint', build: (w) => w.idps.shib.bearerAssertion(ACS_URL), reason: 'recipient_mismatch' },
  { id: 'an ACS-bound assertion replayed at the token endpoint', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT), recipient: ACS_URL, reason: 'recipient_mismatch' },
  { id: 'unsigned', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, false), reason: 'signature_missing' },
  { id: 'RSA-SHA1', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, { signatureAlgorithm: ALG.rsaSha1, digestAlgorithm: ALG.sha1 }), reason: 'algorithm_forbidden' },
  { id: 'HMAC keyed with the IdP certificate', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, { hmacKey: w.keys.shib.certPem }), reason: 'algorithm_forbidden' },
  { id: 'signed by an attacker key (cert in KeyInfo)', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, { key: w.keys.attacker }), reason: 'signature_invalid' },
  { id: 'signed by another configured IdP', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, { key: w.keys.other }), reason: 'signature_invalid' },
  { id: 'Reference URI=""', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {}, { emptyUri: true }), reason: 'signature_invalid' },
  {
    id: 'content changed after signing',
    build: (w) => atk.mutate(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT), (_d, r) => atk.evilize(r)),
    reason: 'signature_invalid',
  },
  {
    id: 'XSW: evil unsigned assertion wrapping the signed one',
    build: (w) =>
      atk.mutate(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT), (d, r) => {
        const evil = r.cloneNode(true) as Element;
        atk.removeSignature(evil);
        atk.evilize(evil);
        evil.setAttribute('ID', '_evil');
        d.replaceChild(evil, r);
        evil.appendChild(r);
      }),
    reason: 'multiple_assertions',
  },
  {
    id: 'XSW: clean copy in ds:Object of the evil assertion’s Signature',
    build: (w) =>
      atk.mutate(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT), (d, r) => {
        const clean = r.cloneNode(true) as Element;
        atk.removeSignature(clean);
        const obj = d.createElementNS('http://www.w3.org/2000/09/xmldsig#', 'ds:Object');
        obj.appendChild(clean);
        atk.only(r, 'Signature').appendChild(obj);
        atk.evilize(r);
      }),
    reason: 'multiple_assertions',
  },
  { id: 'wrong Audience', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, { conditions: { audiences: [[TOKEN_ENDPOINT + '/x']] } }), reason: 'audience_mismatch' },
  {
    id: 'expired',
    build: (w) => {
      const past = new Date(w.clock.now().getTime() - 20 * 60_000);
      return w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, {
        issueInstant: past,
        confirmations: [{ recipient: TOKEN_ENDPOINT, notOnOrAfter: new Date(past.getTime() + 60_000) }],
      });
    },
    reason: 'expired',
  },
  {
    id: 'IssueInstant two hours ago, still inside its validity window',
    build: (w) => {
      const now = w.clock.now().getTime();
      return w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, { issueInstant: new Date(now - 7_200_000), conditions: { notBefore: new Date(now - 7_200_000), notOnOrAfter: new Date(now + 3_600_000), audiences: [[SP_ENTITY_ID]] } });
    },
    reason: 'assertion_too_old',
  },
  {
    id: 'an Assertion in a foreign namespace (SAML 1.x)',
    build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT).replace(/xmlns:saml="urn:oasis:names:tc:SAML:2\.0:assertion"/, 'xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"'),
    reason: 'xml_malformed',
    detail: 'expected urn:oasis:names:tc:SAML:2.0:assertion Assertion, got urn:oasis:names:tc:SAML:1.0:assertion Assertion',
  },
  { id: 'no bearer confirmation', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, { confirmations: [] }), reason: 'no_bearer_confirmation' },
  { id: 'unknown issuer', build: (w) => w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, { issuer: 'https://idp.evil.example' }, { key: w.keys.attacker }), reason: 'unknown_issuer' },
  { id: 'Issuer claims another IdP', build: (w) => w.idps.other.bearerAssertion(TOKEN_ENDPOINT, { issuer: IDP_ENTITY.shib }), reason: 'signature_invalid' },
  { id: 'a whole samlp:Response instead of an assertion', build: (w) => w.idps.shib.response({ requestId: null, sign: 'response' }), reason: 'xml_malformed' },
  { id: 'DOCTYPE', build: (w) => `<!DOCTYPE x>${w.idps.shib.bearerAssertion(TOKEN_ENDPOINT)}`, reason: 'doctype_forbidden' },
  { id: 'standard base64 alphabet (+ and /)', raw: true, build: () => 'PD94bW+/', reason: 'malformed_base64' },
  { id: 'line-wrapped base64url', raw: true, build: (w) => toB64url(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT)).replace(/(.{64})/, '$1\n'), reason: 'malformed_base64' },
  { id: 'scope of eppn not published by the IdP', build: (w) => w.idps.ssp.bearerAssertion(TOKEN_ENDPOINT, { attributes: aliceAttributes('evil.edu') }), reason: 'scope_violation' },
  { id: 'transient NameID for a persistent-nameid subject', build: (w) => w.idps.adfs.bearerAssertion(TOKEN_ENDPOINT, { nameId: { value: '_t', format: NAMEID_FORMAT.transient } }), reason: 'subject_missing' },
];

describe('refused bearer assertions', () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, tc) => {
    const built = await tc.build(w);
    const value = tc.raw ? built : toB64url(built);
    const err = await w.provider.validateBearerAssertion(value, { recipient: tc.recipient ?? TOKEN_ENDPOINT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamlRefusal);
    expect((err as SamlRefusal).reason).toBe(tc.reason);
    if (tc.detail) expect((err as SamlRefusal).detail).toBe(tc.detail);
  });

  it('the same assertion is accepted once (shared replay store)', async () => {
    const value = toB64url(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT));
    await w.provider.validateBearerAssertion(value, expected);
    await expect(w.provider.validateBearerAssertion(value, expected)).rejects.toMatchObject({ reason: 'replayed' });
  });

  it('mapping uses the attribute allow-list of the IdP', async () => {
    const value = toB64url(w.idps.shib.bearerAssertion(TOKEN_ENDPOINT, { attributes: [...aliceAttributes(), { name: '__proto__', values: ['x'] }] }));
    const login = await w.provider.validateBearerAssertion(value, expected);
    expect(Object.keys(login.claims)).not.toContain('__proto__');
    expect(login.claims[ATTR.mail]).toBeUndefined();
  });

  it('the expected recipient must be a service URL (programming error, not a refusal)', async () => {
    await expect(w.provider.validateBearerAssertion('x', { recipient: 'not a url' })).rejects.toBeInstanceOf(SamlConfigError);
  });
});
