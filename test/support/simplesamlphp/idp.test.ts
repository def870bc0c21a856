// Proves the SimpleSAMLphp harness end to end with node-saml as the SP (none of our SP
// code): AuthnRequest → real IdP login → SAMLResponse validated against the IdP's cert.
import { DOMParser } from '@xmldom/xmldom';
import { SAML, ValidateInResponseTo, type Profile, type SamlConfig } from '@node-saml/passport-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCert, eduPersonUser, NAMEID_FORMATS, OID, startSimpleSamlIdp,
  type KeyPair, type SimpleSamlIdp, type SpRegistration,
} from './idp.js';
import { CookieJar, IdpLoginError, loginAtIdp } from './login.js';

const SP_ENTITY_ID = 'https://sts.test.example/saml/metadata';
const ACS_URL = 'http://localhost:4999/saml/acs'; // never contacted: loginAtIdp only returns the form
const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
};

const alice = eduPersonUser({
  username: 'alice', password: 'alice-pw', displayName: 'Alice Example',
  entitlements: ['urn:mace:example.edu:survey-a', 'urn:mace:example.edu:survey-b'],
  extra: { 'urn:oid:1.3.6.1.4.1.25178.1.2.9': ['example.edu'] }, // schacHomeOrganization
});

// The few DOM members used here; declared locally so the test does not depend on which
// @xmldom/xmldom major (0.8 or 0.9, with different type exports) is installed.
interface Element {
  nodeType: number;
  namespaceURI: string | null;
  localName: string | null;
  firstChild: Element | null;
  nextSibling: Element | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  getElementsByTagNameNS(ns: string, localName: string): ArrayLike<Element>;
}

let idp: SimpleSamlIdp;
let spKeys: KeyPair;

function sp(overrides: Partial<SpRegistration>): SpRegistration {
  return { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, ...overrides };
}

function newSp(config: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    entryPoint: idp.ssoUrl,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    idpCert: idp.signingCertPem,
    identifierFormat: NAMEID_FORMATS.persistent,
    validateInResponseTo: ValidateInResponseTo.always,
    ...config,
  });
}

async function login(saml: SAML, relayState = 'relay-1', creds = alice) {
  const url = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
  const result = await loginAtIdp(url, creds);
  const doc = new DOMParser().parseFromString(Buffer.from(result.SAMLResponse, 'base64').toString('utf8'), 'text/xml');
  return { result, response: doc.documentElement as unknown as Element };
}

function children(el: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    const e = n as Element;
    if (e.nodeType === 1 && e.namespaceURI === ns && e.localName === localName) out.push(e);
  }
  return out;
}

/** node-saml puts a single value as a string and several as an array. */
function attributesOf(profile: Profile | null | undefined): Record<string, unknown> {
  return (profile?.attributes ?? {}) as Record<string, unknown>;
}

function only(list: Element[]): Element {
  expect(list).toHaveLength(1);
  return list[0]!;
}

beforeAll(async () => {
  spKeys = await createSelfSignedCert('campus-sts test SP (encryption)');
  idp = await startSimpleSamlIdp({
    sps: [sp({ signResponse: true, signAssertion: false })],
    users: [alice, eduPersonUser({ username: 'bob', password: 'bob-pw', affiliations: ['staff'] })],
  });
}, 30_000);

afterAll(async () => {
  await idp?.stop();
});

describe('SimpleSAMLphp IdP harness', () => {
  it('serves metadata whose entityID and signing cert match the handle', () => {
    expect(idp.metadataXml).toContain(`entityID="${idp.entityId}"`);
    const certBody = idp.signingCertPem.replace(/-----[^-]+-----|\s/g, '');
    expect(idp.metadataXml).toContain(certBody);
    expect(idp.metadataXml).toContain(idp.ssoUrl);
  });

  it('signs the response (not the assertion) and sends eduPerson attributes with uri names', async () => {
    await idp.reconfigure([sp({ signResponse: true, signAssertion: false })]);
    const saml = newSp({ wantAuthnResponseSigned: true, wantAssertionsSigned: false });
    const { result, response } = await login(saml);

    expect(result.acsUrl).toBe(ACS_URL);
    expect(result.RelayState).toBe('relay-1');
    only(children(response, NS.ds, 'Signature'));
    const assertion = only(children(response, NS.saml, 'Assertion'));
    expect(children(assertion, NS.ds, 'Signature')).toHaveLength(0);
    const attr = assertion.getElementsByTagNameNS(NS.saml, 'Attribute')[0]!;
    expect(attr.getAttribute('NameFormat')).toBe('urn:oasis:names:tc:SAML:2.0:attrname-format:uri');
    expect(attr.hasAttribute('FriendlyName')).toBe(false);

    // A different certificate must not verify: the signature is real.
    const other = await createSelfSignedCert('not the IdP');
    await expect(
      newSp({ idpCert: other.certPem, validateInResponseTo: ValidateInResponseTo.never })
        .validatePostResponseAsync({ SAMLResponse: result.SAMLResponse }),
    ).rejects.toThrow();

    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: result.SAMLResponse });
    expect(profile?.issuer).toBe(idp.entityId);
    expect(profile?.nameIDFormat).toBe(NAMEID_FORMATS.persistent);
    expect(profile?.nameID).toMatch(/^[0-9a-f]{40}$/);
    expect(attributesOf(profile)).toEqual({
      [OID.eduPersonPrincipalName]: 'alice@example.edu',
      [OID.eduPersonAffiliation]: ['member', 'student'],
      [OID.eduPersonScopedAffiliation]: ['member@example.edu', 'student@example.edu'],
      [OID.mail]: 'alice@example.edu',
      [OID.displayName]: 'Alice Example',
      [OID.eduPersonEntitlement]: ['urn:mace:example.edu:survey-a', 'urn:mace:example.edu:survey-b'],
      'urn:oid:1.3.6.1.4.1.25178.1.2.9': 'example.edu',
    });
  });

  it('after reconfigure signs only the assertion and issues a transient NameID', async () => {
    await idp.reconfigure([sp({ signResponse: false, signAssertion: true, nameIdFormat: 'transient' })]);
    const saml = newSp({ wantAuthnResponseSigned: false, wantAssertionsSigned: true });
    const { result, response } = await login(saml);

    expect(children(response, NS.ds, 'Signature')).toHaveLength(0);
    only(children(only(children(response, NS.saml, 'Assertion')), NS.ds, 'Signature'));
    // node-saml by default insists on a signed response; this one is not.
    await expect(
      newSp({ validateInResponseTo: ValidateInResponseTo.never }).validatePostResponseAsync({ SAMLResponse: result.SAMLResponse }),
    ).rejects.toThrow();

    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: result.SAMLResponse });
    expect(profile?.nameIDFormat).toBe(NAMEID_FORMATS.transient);
    expect(attributesOf(profile)[OID.eduPersonAffiliation]).toEqual(['member', 'student']);
  });

  it('encrypts the assertion to the SP certificate with AES-128-CBC and RSA-OAEP', async () => {
    await idp.reconfigure([sp({ encryptAssertion: true, encryptionCertPem: spKeys.certPem })]);
    const saml = newSp({ decryptionPvk: spKeys.keyPem, wantAuthnResponseSigned: true, wantAssertionsSigned: true });
    const { result, response } = await login(saml);

    expect(children(response, NS.saml, 'Assertion')).toHaveLength(0);
    const encrypted = only(children(response, NS.saml, 'EncryptedAssertion'));
    const algorithms = Array.from(encrypted.getElementsByTagNameNS(NS.xenc, 'EncryptionMethod'))
      .map((m) => m.getAttribute('Algorithm'));
    expect(algorithms).toEqual([
      'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
      'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    ]);

    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: result.SAMLResponse });
    expect(attributesOf(profile)[OID.eduPersonPrincipalName]).toBe('alice@example.edu');
    expect(attributesOf(profile)[OID.eduPersonEntitlement]).toHaveLength(2);
  });

  it('answers an AuthnRequest naming an unregistered ACS at the registered ACS', async () => {
    await idp.reconfigure([sp({})]);
    const saml = newSp({ callbackUrl: 'http://localhost:4999/not-registered' });
    const { result } = await login(saml);
    expect(result.acsUrl).toBe(ACS_URL);
  });

  it('reports wrong credentials, and keeps the IdP session in a reused cookie jar', async () => {
    await idp.reconfigure([sp({})]);
    const saml = newSp();
    const wrong = loginAtIdp(await saml.getAuthorizeUrlAsync('', undefined, {}), { username: 'alice', password: 'nope' });
    await expect(wrong).rejects.toBeInstanceOf(IdpLoginError);
    await expect(wrong).rejects.toMatchObject({ reason: 'wrong-credentials' });

    const jar = new CookieJar();
    await loginAtIdp(await saml.getAuthorizeUrlAsync('', undefined, {}), { username: 'bob', password: 'bob-pw' }, { jar });
    // Single sign-on: no login form the second time, so the (wrong) password is never used.
    const again = await loginAtIdp(await saml.getAuthorizeUrlAsync('', undefined, {}), { username: 'bob', password: 'x' }, { jar });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: again.SAMLResponse });
    expect(attributesOf(profile)[OID.eduPersonAffiliation]).toBe('staff');
  });
});
