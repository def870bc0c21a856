// Our SP metadata: content, algorithm advertisement, escaping.
import { DOMParser } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR, NS } from './constants.js';
import { buildSpMetadata, type SpMetadataInput } from './sp-metadata.js';
import { certBody, testKeyPair, type TestKeyPair } from '../../test/support/saml/keys.js';

let signing: TestKeyPair, encryption: TestKeyPair;
beforeAll(async () => {
  [signing, encryption] = await Promise.all([testKeyPair('sp-signing'), testKeyPair('sp-encryption', { use: 'encryption' })]);
});

const input = (over: Partial<SpMetadataInput> = {}): SpMetadataInput => ({
  entityId: 'https://sts.univ.edu/saml/metadata',
  acsUrl: 'https://sts.univ.edu/saml/acs',
  signingCertPem: signing.certPem,
  encryptionCertPem: encryption.certPem,
  advertiseCbc: false,
  ...over,
});
const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const all = (doc: Document, ns: string, name: string) => Array.from(doc.getElementsByTagNameNS(ns, name));

describe('buildSpMetadata', () => {
  it('publishes entityID, signing/encryption keys, the ACS and what we accept', () => {
    const doc = parse(buildSpMetadata(input()));
    const root = doc.documentElement;
    expect(root.localName).toBe('EntityDescriptor');
    expect(root.getAttribute('entityID')).toBe('https://sts.univ.edu/saml/metadata');
    const sso = all(doc, NS.md, 'SPSSODescriptor')[0] as Element;
    expect(sso.getAttribute('AuthnRequestsSigned')).toBe('true');
    expect(sso.getAttribute('WantAssertionsSigned')).toBe('true');
    expect(sso.getAttribute('protocolSupportEnumeration')).toBe('urn:oasis:names:tc:SAML:2.0:protocol');
    const kds = all(doc, NS.md, 'KeyDescriptor').map((k) => [k.getAttribute('use'), k.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0]?.textContent]);
    expect(kds).toEqual([['signing', certBody(signing.certPem)], ['encryption', certBody(encryption.certPem)]]);
    expect(all(doc, NS.md, 'EncryptionMethod').map((e) => e.getAttribute('Algorithm'))).toEqual([
      'http://www.w3.org/2009/xmlenc11#aes256-gcm',
      'http://www.w3.org/2009/xmlenc11#aes128-gcm',
      'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    ]);
    const acs = all(doc, NS.md, 'AssertionConsumerService');
    expect(acs.map((a) => [a.getAttribute('Binding'), a.getAttribute('Location'), a.getAttribute('index'), a.getAttribute('isDefault')])).toEqual([
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'https://sts.univ.edu/saml/acs', '0', 'true'],
    ]);
    expect(all(doc, NS.md, 'NameIDFormat').map((n) => n.textContent)).toEqual([
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    ]);
  });

  it('advertises AES-CBC only when an IdP is allowed to use it', () => {
    const algs = all(parse(buildSpMetadata(input({ advertiseCbc: true }))), NS.md, 'EncryptionMethod').map((e) => e.getAttribute('Algorithm'));
    expect(algs).toContain('http://www.w3.org/2001/04/xmlenc#aes128-cbc');
    expect(algs.at(-1)).toBe('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
  });

  it('escapes values (built with DOM, never string concatenation)', () => {
    const xml = buildSpMetadata(input({ entityId: 'https://x/"><evil a="1', options: { displayName: '<script>&' } }));
    const doc = parse(xml);
    expect(doc.documentElement.getAttribute('entityID')).toBe('https://x/"><evil a="1');
    expect(all(doc, NS.mdui, 'DisplayName')[0]?.textContent).toBe('<script>&');
    expect(xml).not.toContain('<evil');
  });

  it('optional mdui, subject-id requirement, requested attributes, organization and contacts (incl. REFEDS security)', () => {
    const doc = parse(buildSpMetadata(input({
      options: {
        displayName: 'Campus STS', description: 'Survey sign-in', informationUrl: 'https://sts.univ.edu/', privacyStatementUrl: 'https://sts.univ.edu/privacy',
        subjectIdRequirement: 'pairwise-id',
        requestedAttributes: [{ name: ATTR.eduPersonScopedAffiliation, friendlyName: 'eduPersonScopedAffiliation', required: true }, { name: ATTR.mail }],
        organization: { name: 'Univ', displayName: 'University', url: 'https://univ.edu/' },
        contacts: [{ type: 'technical', givenName: 'IT', email: 'it@univ.edu' }, { type: 'security', givenName: 'CERT', email: 'mailto:cert@univ.edu' }],
      },
    })));
    const ea = all(doc, NS.saml, 'Attribute')[0] as Element;
    expect(ea.getAttribute('Name')).toBe('urn:oasis:names:tc:SAML:profiles:subject-id:req');
    expect(ea.getElementsByTagNameNS(NS.saml, 'AttributeValue')[0]?.textContent).toBe('pairwise-id');
    expect(all(doc, NS.mdui, 'PrivacyStatementURL')[0]?.textContent).toBe('https://sts.univ.edu/privacy');
    expect(all(doc, NS.md, 'RequestedAttribute').map((r) => [r.getAttribute('Name'), r.getAttribute('isRequired')])).toEqual([
      [ATTR.eduPersonScopedAffiliation, 'true'], [ATTR.mail, 'false'],
    ]);
    const contacts = all(doc, NS.md, 'ContactPerson');
    expect(contacts.map((c) => [c.getAttribute('contactType'), c.getAttributeNS(NS.remd, 'contactType'), c.getElementsByTagNameNS(NS.md, 'EmailAddress')[0]?.textContent])).toEqual([
      ['technical', '', 'mailto:it@univ.edu'],
      ['other', 'http://refeds.org/metadata/contactType/security', 'mailto:cert@univ.edu'],
    ]);
    expect(all(doc, NS.md, 'OrganizationURL')[0]?.textContent).toBe('https://univ.edu/');
  });
});
