// A test SAML IdP: builds Responses and bare Assertions with @xmldom DOM APIs (values escaped by the
// serializer), signs them FRESHLY with xml-crypto (RSA-SHA256, exc-c14n, enveloped) and can encrypt
// the assertion to the SP's certificate with xml-encryption (AES-GCM or AES-CBC + RSA-OAEP-MGF1P).
// Every knob the attack corpus needs is an option; defaults describe a valid, solicited login.
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { randomBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';
import type { Clock } from '../../../src/core/clock.js';
import { ATTR, NAMEID_FORMAT, NS, STATUS_SUCCESS } from '../../../src/saml/constants.js';
import type { TestKeyPair } from './keys.js';
import { appendAssertion, el, type AssertionSpec, type AttributeSpec, type ResponseSpec } from './saml-xml.js';

export type { AssertionSpec, AttrValueSpec, AttributeSpec, ConfirmationSpec, NameIdSpec, ResponseSpec } from './saml-xml.js';
export { appendAssertion } from './saml-xml.js';

export const ALG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  hmacSha1: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  aes256gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  aes128gcm: 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  aes128cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  aes256cbc: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  tripledes: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  rsaOaep: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  rsa15: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
} as const;

export interface SignSpec {
  key: TestKeyPair;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  /** Put this certificate in ds:KeyInfo (default: the signing key's own certificate). */
  keyInfoCertPem?: string | null;
  /** HMAC "signature" keyed with these bytes (key-confusion attack). */
  hmacKey?: string;
  /** Reference URI="" (whole document) instead of #ID. */
  emptyUri?: boolean;
  /** Transforms of the Reference (default enveloped + exc-c14n). */
  transforms?: string[];
}

export interface EncryptSpec {
  certPem: string;
  algorithm: string;
  keyTransport?: string;
}

export interface TestIdpConfig {
  entityId: string;
  key: TestKeyPair;
  sp: { entityId: string; acsUrl: string; encryptionCertPem: string };
  clock: Clock;
  /** Default attributes of every assertion. */
  attributes: AttributeSpec[];
}

export interface ResponseOptions {
  /** AuthnRequest ID being answered; null = unsolicited (no InResponseTo anywhere). */
  requestId: string | null;
  sign: 'response' | 'assertion' | 'both' | 'none';
  encrypt?: string | EncryptSpec;
  assertion?: Partial<AssertionSpec>;
  response?: Partial<ResponseSpec>;
  /** Overrides for the signer(s) (attacker key, SHA-1 …). */
  signer?: Partial<SignSpec>;
  /** Rewrites the unsigned XML text before anything is signed (for shapes the builder does not model). */
  transformBeforeSign?: (xml: string) => string;
}

export const newId = (prefix = '_'): string => `${prefix}${randomBytes(16).toString('hex')}`;
const iso = (d: Date): string => d.toISOString();
const serialize = (node: Node): string => new XMLSerializer().serializeToString(node);
export const parse = (xml: string): Document => new DOMParser().parseFromString(xml, 'text/xml');
export const toB64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');
export const toB64url = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64url');

/** Enveloped signature over the element with this ID, placed right after its Issuer. */
export function signById(xml: string, id: string, s: SignSpec): string {
  const sig = new SignedXml({
    privateKey: s.hmacKey ?? s.key.keyPem,
    canonicalizationAlgorithm: ALG.excC14n,
    signatureAlgorithm: (s.hmacKey ? ALG.hmacSha1 : s.signatureAlgorithm ?? ALG.rsaSha256) as never,
    ...(s.keyInfoCertPem === null ? {} : { publicCert: s.keyInfoCertPem ?? s.key.certPem }),
  });
  if (s.hmacKey) {
    sig.enableHMAC();
    sig.signatureAlgorithm = ALG.hmacSha1 as never;
  }
  sig.addReference({
    xpath: s.emptyUri ? '/*' : `//*[@ID='${id}']`,
    transforms: s.transforms ?? [ALG.enveloped, ALG.excC14n],
    digestAlgorithm: s.digestAlgorithm ?? ALG.sha256,
    ...(s.emptyUri ? { isEmptyUri: true } : {}),
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `//*[@ID='${id}']/*[local-name()='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export function encryptXml(content: string, e: EncryptSpec): Promise<string> {
  return new Promise((resolve, reject) => {
    xmlenc.encrypt(
      content,
      {
        rsa_pub: e.certPem,
        pem: e.certPem,
        encryptionAlgorithm: e.algorithm as never,
        keyEncryptionAlgorithm: (e.keyTransport ?? ALG.rsaOaep) as never,
        warnInsecureAlgorithm: false,
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
  });
}

/** Replaces the (only) top-level Assertion of a Response document with an EncryptedAssertion. */
export async function encryptAssertionIn(xml: string, e: EncryptSpec): Promise<string> {
  const doc = parse(xml);
  const assertion = Array.from(doc.documentElement.childNodes).find(
    (n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Assertion',
  );
  if (!assertion) throw new Error('no assertion to encrypt');
  const encrypted = parse(await encryptXml(serialize(assertion), e)).documentElement;
  const wrapper = doc.createElementNS(NS.saml, 'saml:EncryptedAssertion');
  wrapper.appendChild(doc.importNode(encrypted, true));
  doc.documentElement.replaceChild(wrapper, assertion);
  return serialize(doc);
}

export class TestIdp {
  constructor(readonly cfg: TestIdpConfig) {}

  /** A valid assertion spec for `requestId` (null = unsolicited), with optional overrides. */
  assertionSpec(requestId: string | null, over: Partial<AssertionSpec> = {}): AssertionSpec {
    const now = this.cfg.clock.now();
    const later = new Date(now.getTime() + 5 * 60_000);
    return {
      id: newId('_a'),
      issuer: this.cfg.entityId,
      issueInstant: now,
      nameId: { value: 'opaque-7f3a', format: NAMEID_FORMAT.persistent, nameQualifier: this.cfg.entityId, spNameQualifier: this.cfg.sp.entityId },
      confirmations: [{ recipient: this.cfg.sp.acsUrl, notOnOrAfter: later, inResponseTo: requestId }],
      conditions: { notBefore: now, notOnOrAfter: later, audiences: [[this.cfg.sp.entityId]] },
      authn: { instant: new Date(now.getTime() - 10_000), sessionIndex: '_session-1' },
      attributes: this.cfg.attributes,
      ...over,
    };
  }

  responseSpec(requestId: string | null, over: Partial<ResponseSpec> = {}): ResponseSpec {
    return {
      id: newId('_r'),
      issuer: this.cfg.entityId,
      destination: this.cfg.sp.acsUrl,
      inResponseTo: requestId,
      status: STATUS_SUCCESS,
      issueInstant: this.cfg.clock.now(),
      version: '2.0',
      ...over,
    };
  }

  /** Unsigned Response XML around one assertion (no signature yet). */
  responseXml(r: ResponseSpec, a: AssertionSpec | null): string {
    const doc = new DOMImplementation().createDocument(NS.samlp, 'samlp:Response', null);
    const root = doc.documentElement;
    root.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:samlp', NS.samlp);
    root.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:saml', NS.saml);
    root.setAttribute('ID', r.id);
    root.setAttribute('Version', r.version);
    root.setAttribute('IssueInstant', iso(r.issueInstant));
    if (r.destination !== null) root.setAttribute('Destination', r.destination);
    if (r.inResponseTo !== null) root.setAttribute('InResponseTo', r.inResponseTo);
    if (r.issuer !== null) el(doc, root, NS.saml, 'saml:Issuer', {}, r.issuer);
    const status = el(doc, root, NS.samlp, 'samlp:Status');
    el(doc, status, NS.samlp, 'samlp:StatusCode', { Value: r.status });
    if (a) appendAssertion(doc, root, a);
    return serialize(doc);
  }

  /** A freshly signed (and optionally encrypted) Response, as XML. */
  async response(o: ResponseOptions): Promise<string> {
    const a = this.assertionSpec(o.requestId, o.assertion);
    const r = this.responseSpec(o.requestId, o.response);
    const signer: SignSpec = { key: this.cfg.key, ...o.signer };
    let xml = this.responseXml(r, a);
    if (o.transformBeforeSign) xml = o.transformBeforeSign(xml);
    if (o.sign === 'assertion' || o.sign === 'both') xml = signById(xml, a.id, signer);
    if (o.encrypt) {
      const spec = typeof o.encrypt === 'string' ? { certPem: this.cfg.sp.encryptionCertPem, algorithm: o.encrypt } : o.encrypt;
      xml = await encryptAssertionIn(xml, spec);
    }
    if (o.sign === 'response' || o.sign === 'both') {
      if (r.issuer === null) throw new Error('a signed Response needs an Issuer to place the signature after');
      xml = signById(xml, r.id, signer);
    }
    return xml;
  }

  /** A bare signed Assertion (RFC 7522), recipient = the token endpoint. */
  bearerAssertion(recipient: string, over: Partial<AssertionSpec> = {}, signer: Partial<SignSpec> | false = {}): string {
    const now = this.cfg.clock.now();
    const a = this.assertionSpec(null, {
      confirmations: [{ recipient, notOnOrAfter: new Date(now.getTime() + 5 * 60_000) }],
      ...over,
    });
    const doc = new DOMImplementation().createDocument(null, null, null);
    appendAssertion(doc, doc, a);
    const xml = serialize(doc);
    return signer === false ? xml : signById(xml, a.id, { key: this.cfg.key, ...signer });
  }
}

/** Default eduPerson attributes of the test user alice@univ.edu. */
export function aliceAttributes(scope = 'univ.edu'): AttributeSpec[] {
  return [
    { name: ATTR.eduPersonPrincipalName, friendlyName: 'eduPersonPrincipalName', values: [`alice@${scope}`] },
    { name: ATTR.eduPersonAffiliation, values: ['student', 'member'] },
    { name: ATTR.eduPersonScopedAffiliation, values: [`student@${scope}`] },
    { name: ATTR.mail, values: [`alice@${scope}`] },
    { name: ATTR.displayName, values: ['Alice Example'] },
    { name: ATTR.pairwiseId, values: [`HK3P5Q2ZLZ7JPZHCV5H3ATBIEQ3EUHHT@${scope}`] },
    { name: ATTR.subjectId, values: [`alice1234@${scope}`] },
  ];
}
