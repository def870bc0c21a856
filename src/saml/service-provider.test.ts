// Valid logins through the whole engine, asserting the returned SamlLogin exactly, plus the login request,
// replay-store contract and settings validation, over the real SQLite replay store (src/sso/assertion-replay.ts).
import { eq } from 'drizzle-orm';
import { sha256b64u } from '../core/hash.js';
import { samlAssertions } from '../db/schema/saml-assertions.js';
import { createVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR, NAMEID_FORMAT, NS } from './constants.js';
import { SamlConfigError, SamlRefusal } from './errors.js';
import { createSamlServiceProvider } from './service-provider.js';
import type { SamlLogin } from './types.js';
import { ALG, aliceAttributes, parse, toB64 } from '../../test/support/saml/idp-signer.js';
import { testKeyPair } from '../../test/support/saml/keys.js';
import { ACS_URL, IDP_ENTITY, SP_ENTITY_ID, createSamlWorld, metadataFor, type SamlWorld } from '../../test/support/saml/world.js';

let w: SamlWorld;
beforeAll(async () => {
  w = await createSamlWorld();
});

const ALICE_CLAIMS = {
  eppn: 'alice@univ.edu',
  affiliation: ['student', 'member'],
  scopedAffiliation: ['student@univ.edu'],
  mail: 'alice@univ.edu',
  displayName: 'Alice Example',
  pairwiseId: 'HK3P5Q2ZLZ7JPZHCV5H3ATBIEQ3EUHHT@univ.edu',
  subjectId: 'alice1234@univ.edu',
};

function expectedLogin(idp: keyof typeof IDP_ENTITY, subjectSource: SamlLogin['subjectSource'], subject: string, assertionId: string): SamlLogin {
  const now = w.clock.now();
  return {
    idpId: idp,
    idpEntityId: IDP_ENTITY[idp],
    assertionId,
    subject,
    subjectSource,
    nameId: { value: 'opaque-7f3a', format: NAMEID_FORMAT.persistent },
    sessionIndex: '_session-1',
    authnInstant: new Date(now.getTime() - 10_000),
    authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    issueInstant: now,
    notOnOrAfter: new Date(now.getTime() + 5 * 60_000),
    claims: { ...ALICE_CLAIMS },
    dropped: [],
  };
}

function assertionIdOf(xml: string): string {
  const m = /<saml:Assertion[^>]* ID="([^"]+)"/.exec(xml);
  if (m?.[1]) return m[1];
  throw new Error('no assertion id');
}

describe('valid logins return the exact SamlLogin', () => {
  const shapes = [
    { name: 'Shibboleth: Response signed, Assertion plain', idp: 'shib', sign: 'response', encrypt: undefined },
    { name: 'Shibboleth: Response signed, AES-256-GCM EncryptedAssertion', idp: 'shib', sign: 'response', encrypt: ALG.aes256gcm },
    { name: 'Shibboleth v4 default: AES-128-GCM', idp: 'shib', sign: 'response', encrypt: ALG.aes128gcm },
    { name: 'ADFS/Entra: Assertion signed, Response unsigned', idp: 'adfs', sign: 'assertion', encrypt: undefined },
    { name: 'ADFS/Entra: signed Assertion encrypted with AES-256-GCM', idp: 'adfs', sign: 'assertion', encrypt: ALG.aes256gcm },
    { name: 'SimpleSAMLphp: both signed', idp: 'ssp', sign: 'both', encrypt: undefined },
    { name: 'SimpleSAMLphp 1.19: both signed, AES-128-CBC + RSA-OAEP (allowCbcEncryption)', idp: 'ssp', sign: 'both', encrypt: ALG.aes128cbc },
    { name: 'both signed, AES-256-CBC (allowCbcEncryption)', idp: 'ssp', sign: 'both', encrypt: ALG.aes256cbc },
  ] as const;
  const subjects = {
    shib: ['pairwise-id', 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu'],
    adfs: ['persistent-nameid', `${IDP_ENTITY.adfs}!${SP_ENTITY_ID}!opaque-7f3a`],
    ssp: ['eppn', 'alice@univ.edu'],
  } as const;

  it.each(shapes.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
    const { requestId } = await w.provider.createLoginRequest(s.idp);
    const xml = await w.idps[s.idp].response({ requestId, sign: s.sign, ...(s.encrypt ? { encrypt: s.encrypt } : {}) });
    const id = s.encrypt ? undefined : assertionIdOf(xml);
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    const [source, subject] = subjects[s.idp];
    expect(login).toEqual(expectedLogin(s.idp, source, subject, id ?? login.assertionId));
    expect(login.assertionId).toMatch(/^_a[0-9a-f]{32}$/);
    expect(Object.getPrototypeOf(login.claims)).toBeNull();
  });

  it('IdP-initiated login where the IdP allows it (no InResponseTo anywhere)', async () => {
    const xml = await w.idps.ssp.response({ requestId: null, sign: 'both' });
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId: null });
    expect(login).toEqual(expectedLogin('ssp', 'eppn', 'alice@univ.edu', assertionIdOf(xml)));
  });

  it('a comment inside the NameID does not truncate the identity (CVE-2017-11427 class)', async () => {
    const { requestId } = await w.provider.createLoginRequest('adfs');
    const nameId = { value: 'user@victim.edu.evil.com', commentAt: 15, format: NAMEID_FORMAT.persistent };
    const xml = await w.idps.adfs.response({ requestId, sign: 'assertion', assertion: { nameId } });
    expect(xml).toContain('user@victim.edu<!---->.evil.com');
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    expect(login.subject).toBe(`${IDP_ENTITY.adfs}!${SP_ENTITY_ID}!user@victim.edu.evil.com`);
    expect(login.nameId).toEqual({ value: 'user@victim.edu.evil.com', format: NAMEID_FORMAT.persistent });
  });

  it('a comment inside an attribute value does not truncate it', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const attributes = aliceAttributes().map((a) => (a.name === ATTR.mail ? { ...a, values: [{ text: 'alice@univ.edu.evil.com', commentAt: 14 }] } : a));
    const xml = await w.idps.shib.response({ requestId, sign: 'response', assertion: { attributes } });
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    expect(login.claims.mail).toBe('alice@univ.edu.evil.com');
  });

  it('identity comes from the outer assertion only, never from saml:Advice', async () => {
    const { requestId } = await w.provider.createLoginRequest('adfs');
    const inner = w.idps.adfs.assertionSpec(requestId, {
      nameId: { value: 'evil-admin', format: NAMEID_FORMAT.persistent },
      attributes: [{ name: ATTR.eduPersonPrincipalName, values: ['admin@univ.edu'] }],
    });
    const xml = await w.idps.adfs.response({ requestId, sign: 'assertion', assertion: { advice: [inner] } });
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    expect(login.subject).toBe(`${IDP_ENTITY.adfs}!${SP_ENTITY_ID}!opaque-7f3a`);
    expect(login.claims.eppn).toBe('alice@univ.edu');
  });

  it('values with a foreign scope are dropped from claims and reported', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const attributes = aliceAttributes().map((a) =>
      a.name === ATTR.eduPersonScopedAffiliation ? { ...a, values: ['student@univ.edu', 'faculty@other.edu'] } : a,
    );
    const xml = await w.idps.shib.response({ requestId, sign: 'response', assertion: { attributes } });
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    expect(login.claims.scopedAffiliation).toEqual(['student@univ.edu']);
    expect(login.dropped).toEqual([{ attribute: ATTR.eduPersonScopedAffiliation, reason: 'scope_violation' }]);
  });

  it('accepts NotBefore within the configured skew (30 s ahead, skew 60 s)', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const t = w.clock.now().getTime() + 30_000;
    const xml = await w.idps.shib.response({
      requestId,
      sign: 'response',
      assertion: { issueInstant: new Date(t), conditions: { notBefore: new Date(t), notOnOrAfter: new Date(t + 300_000), audiences: [[SP_ENTITY_ID]] } },
    });
    await expect(w.provider.validatePostResponse(toB64(xml), { requestId })).resolves.toMatchObject({ idpId: 'shib' });
  });

  it('verifies with any of the IdP metadata certificates (rollover)', async () => {
    const next = await testKeyPair('idp-shib-next');
    const provider = w.providerWith({ shib: { metadata: metadataFor('shib', next, [w.keys.shib.certPem]) } });
    const { requestId } = await provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response', signer: { key: next } });
    await expect(provider.validatePostResponse(toB64(xml), { requestId })).resolves.toMatchObject({ idpId: 'shib' });
  });

  it('accepts line-wrapped base64 (RFC 2045 style)', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const b64 = toB64(await w.idps.shib.response({ requestId, sign: 'response' })).replace(/(.{76})/g, '$1\r\n');
    await expect(w.provider.validatePostResponse(b64, { requestId })).resolves.toMatchObject({ idpId: 'shib' });
  });
});

describe('expected request via resolveRequestId (several pending logins per browser)', () => {
  it('is asked with the Response InResponseTo and binds the signed one to its answer', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response', encrypt: ALG.aes256gcm });
    const seen: Array<string | null> = [];
    const login = await w.provider.validatePostResponse(toB64(xml), {
      resolveRequestId: async (irt) => {
        seen.push(irt);
        return irt;
      },
    });
    expect(seen).toEqual([requestId]);
    expect(login.idpId).toBe('shib');
  });

  it('falls back to the plain assertion’s SubjectConfirmationData InResponseTo', async () => {
    const { requestId } = await w.provider.createLoginRequest('adfs');
    const xml = await w.idps.adfs.response({ requestId, sign: 'assertion', response: { inResponseTo: null } });
    const seen: Array<string | null> = [];
    await w.provider.validatePostResponse(toB64(xml), { resolveRequestId: (irt) => (seen.push(irt), irt) });
    expect(seen).toEqual([requestId]);
  });

  it.each([
    ['not a pending login of this browser', (_irt: string | null) => null, 'in_response_to_mismatch'],
    ['another pending login of this browser', (_irt: string | null) => '_another-request', 'in_response_to_mismatch'],
  ])('%s → %s', async (_n, resolve, reason) => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response' });
    await expect(w.provider.validatePostResponse(toB64(xml), { resolveRequestId: resolve })).rejects.toMatchObject({ reason });
  });

  it('no InResponseTo: unsolicited rules apply (refused for shib, accepted for ssp)', async () => {
    const shib = await w.idps.shib.response({ requestId: null, sign: 'response' });
    await expect(w.provider.validatePostResponse(toB64(shib), { resolveRequestId: () => null })).rejects.toMatchObject({ reason: 'unsolicited' });
    const ssp = await w.idps.ssp.response({ requestId: null, sign: 'both' });
    await expect(w.provider.validatePostResponse(toB64(ssp), { resolveRequestId: () => null })).resolves.toMatchObject({ idpId: 'ssp' });
  });

  it('a failing resolver is the caller’s error, not a refusal', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response' });
    const boom = new Error('pending-login store down');
    await expect(w.provider.validatePostResponse(toB64(xml), { resolveRequestId: () => { throw boom; } })).rejects.toBe(boom);
    await expect(w.provider.validatePostResponse(toB64(xml), { requestId: '' })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('replay store contract', () => {
  it('records (IdP entityID, assertion ID) until NotOnOrAfter + skew, once', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response' });
    const login = await w.provider.validatePostResponse(toB64(xml), { requestId });
    const row = w.database.db.select().from(samlAssertions).where(eq(samlAssertions.key, sha256b64u(`${IDP_ENTITY.shib}\n${login.assertionId}`))).get();
    expect(row).toEqual({ key: expect.any(String), idpEntityId: IDP_ENTITY.shib, expiresAt: new Date(login.notOnOrAfter.getTime() + 60_000) });
    await expect(w.provider.validatePostResponse(toB64(xml), { requestId })).rejects.toMatchObject({ reason: 'replayed' });
  });

  it('a refused message does not burn its assertion ID', async () => {
    const { requestId } = await w.provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response' });
    await expect(w.provider.validatePostResponse(toB64(xml), { requestId: '_someone-else' })).rejects.toMatchObject({ reason: 'in_response_to_mismatch' });
    await expect(w.provider.validatePostResponse(toB64(xml), { requestId })).resolves.toMatchObject({ idpId: 'shib' });
  });

  it('a failing store is a server error, not a refusal (fails closed)', async () => {
    const provider = createSamlServiceProvider(w.sp, [w.settings.shib], {
      clock: w.clock,
      replay: { rememberOnce: () => Promise.reject(new Error('database is locked')) },
    });
    const { requestId } = await provider.createLoginRequest('shib');
    const xml = await w.idps.shib.response({ requestId, sign: 'response' });
    const err = await provider.validatePostResponse(toB64(xml), { requestId }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(SamlRefusal);
    expect((err as Error).message).toBe('database is locked');
  });
});

describe('createLoginRequest (HTTP-Redirect binding)', () => {
  it('builds a signed, deflated AuthnRequest bound to a fresh request ID', async () => {
    const { redirectUrl, requestId } = await w.provider.createLoginRequest('shib', 'launch-42');
    const url = new URL(redirectUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://idp.univ.edu/idp/SSO/Redirect');
    const q = url.searchParams;
    expect(q.get('RelayState')).toBe('launch-42');
    expect(q.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    // Bindings §3.4.4.1: the signature covers the raw query parameters in this order.
    const raw = url.search.slice(1).split('&');
    const pick = (k: string) => raw.find((p) => p.startsWith(`${k}=`));
    const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].map(pick).join('&');
    expect(createVerify('RSA-SHA256').update(signed).verify(w.spKeys.signing.certPem, q.get('Signature') ?? '', 'base64')).toBe(true);

    const req = parse(inflateRawSync(Buffer.from(q.get('SAMLRequest') ?? '', 'base64')).toString('utf8')).documentElement;
    expect(req.getAttribute('ID')).toBe(requestId);
    expect(requestId).toMatch(/^_[0-9a-f]{40}$/);
    expect(req.getAttribute('AssertionConsumerServiceURL')).toBe(ACS_URL);
    expect(req.getAttribute('Destination')).toBe('https://idp.univ.edu/idp/SSO/Redirect');
    expect(req.getElementsByTagNameNS(NS.saml, 'Issuer')[0]?.textContent).toBe(SP_ENTITY_ID);
    expect(req.getElementsByTagNameNS(NS.samlp, 'NameIDPolicy')[0]?.hasAttribute('Format')).toBe(false);
    expect(req.getElementsByTagNameNS(NS.samlp, 'RequestedAuthnContext').length).toBe(0);
  });

  it('every request gets a new ID', async () => {
    const a = await w.provider.createLoginRequest('shib');
    const b = await w.provider.createLoginRequest('shib');
    expect(a.requestId).not.toBe(b.requestId);
  });

  it('refuses an unknown IdP and an over-long RelayState', async () => {
    await expect(w.provider.createLoginRequest('nope')).rejects.toMatchObject({ reason: 'unknown_idp' });
    await expect(w.provider.createLoginRequest('shib', 'x'.repeat(81))).rejects.toBeInstanceOf(RangeError);
  });

  it('lists the IdP ids', () => {
    expect(w.provider.idpIds()).toEqual(['shib', 'adfs', 'ssp', 'other']);
  });
});

describe('settings are validated at construction', () => {
  const build = (change: Parameters<SamlWorld['providerWith']>[0]) => () => w.providerWith(change);
  it.each([
    ['CBC without a required Response signature', { adfs: { allowCbcEncryption: true } }, 'idps[1].allowCbcEncryption'],
    ['clock skew -1 (node-saml "off" switch)', { shib: { clockSkewSeconds: -1 } }, 'idps[0].clockSkewSeconds'],
    ['clock skew above 300 s', { shib: { clockSkewSeconds: 301 } }, 'idps[0].clockSkewSeconds'],
    ['assertion age cap 0 (no "0 disables" magic)', { shib: { maxAssertionAgeSeconds: 0 } }, 'idps[0].maxAssertionAgeSeconds'],
    ['assertion age cap above an hour', { shib: { maxAssertionAgeSeconds: 3601 } }, 'idps[0].maxAssertionAgeSeconds'],
    ['AuthnInstant age cap below a minute', { shib: { maxAuthnAgeSeconds: 59 } }, 'idps[0].maxAuthnAgeSeconds'],
    ['unknown subject source', { shib: { subjectSource: 'email' as never } }, 'idps[0].subjectSource'],
    ['unknown signed part', { shib: { signed: 'none' as never } }, 'idps[0].signed'],
    ['prototype key as claim name', { shib: { attributeMap: { [ATTR.mail]: '__proto__' } } }, `idps[0].attributeMap.${ATTR.mail}`],
    ['duplicate id', { adfs: { id: 'shib' } }, 'idps[1].id'],
    ['no signing certificate', { shib: { metadata: { ...metadataFor('shib', { keyPem: '', certPem: '' }), signingCertsPem: [] } } }, 'idps[0].metadata.signingCertsPem'],
  ])('%s', (_n, change, path) => {
    expect(build(change)).toThrow(SamlConfigError);
    expect(build(change)).toThrow(`${path}:`);
  });

  it('a scoped subject source without any scope fails at construction', () => {
    const change = { ssp: { metadata: { ...metadataFor('ssp', w.keys.ssp), scopes: [] } } };
    expect(build(change)).toThrow('idps[2].scopes: subject source eppn is scoped');
  });

  it('configured scopes complete metadata without shibmd:Scope (SimpleSAMLphp, ADFS, Entra)', async () => {
    const provider = w.providerWith({ ssp: { metadata: { ...metadataFor('ssp', w.keys.ssp), scopes: [] }, scopes: [{ value: 'univ.edu', regexp: false }] } });
    const { requestId } = await provider.createLoginRequest('ssp');
    const xml = await w.idps.ssp.response({ requestId, sign: 'both' });
    await expect(provider.validatePostResponse(toB64(xml), { requestId })).resolves.toMatchObject({ subject: 'alice@univ.edu' });
  });

  it('refuses a 1024-bit IdP key, mismatched SP keys and a plain-http ACS', async () => {
    const weak = await testKeyPair('weak-idp', { bits: 1024 });
    expect(build({ shib: { metadata: metadataFor('shib', weak) } })).toThrow('needs an RSA key of at least 2048 bits');
    const swapped = { ...w.sp, keys: { ...w.sp.keys, signingKeyPem: w.sp.keys.encryptionKeyPem } };
    expect(() => createSamlServiceProvider(swapped, [w.settings.shib], { clock: w.clock, replay: w.replay })).toThrow('sp.keys.signing: private key does not match');
    expect(() => createSamlServiceProvider({ ...w.sp, acsUrl: 'http://sts.univ.edu/acs' }, [w.settings.shib], { clock: w.clock, replay: w.replay })).toThrow('sp.acsUrl');
  });
});
