import { randomBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import {
  C14N_ALGORITHMS, CM_BEARER, DIGEST_ALGORITHMS, NAMEID_FORMAT, NS, SAML_VERSION, SIGNATURE_ALGORITHMS, STATUS_SUCCESS,
  TRANSFORM_ENVELOPED,
} from '../../saml/constants.js';
import { appendElement, createXmlDocument, declareNamespace, serializeXml } from './xml.js';

const NAMEFORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const XS = 'http://www.w3.org/2001/XMLSchema';
// The demo has no password step; say so rather than claim PasswordProtectedTransport.
const AUTHN_CONTEXT_UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
/** How long the assertion may be presented (SCD and Conditions NotOnOrAfter); campus IdPs use a few minutes. */
const ASSERTION_LIFETIME_MS = 5 * 60_000;

export interface SignedResponseInput {
  idp: { entityId: string; keyPem: string; certPem: string };
  sp: { entityId: string; acsUrl: string };
  inResponseTo: string;
  attributes: ReadonlyArray<{ name: string; values: readonly string[] }>;
  now: Date;
}

/** An xs:ID: `_` + 160 random bits (hex, so it can never break out of the XPath below). */
const newId = (): string => `_${randomBytes(20).toString('hex')}`;
const iso = (d: Date): string => d.toISOString();

/**
 * Enveloped XML-DSig over the element with `id`, placed right after its Issuer (SAML core §5.4.1 order):
 * RSA-SHA256, SHA-256 digest, exclusive c14n. The certificate goes into KeyInfo as IdPs do; the SP ignores it
 * and uses the one pinned from our metadata.
 */
function signElement(xml: string, id: string, key: { keyPem: string; certPem: string }): string {
  const sig = new SignedXml({
    privateKey: key.keyPem,
    publicCert: key.certPem,
    canonicalizationAlgorithm: C14N_ALGORITHMS.exc,
    signatureAlgorithm: SIGNATURE_ALGORITHMS.rsaSha256,
  });
  sig.addReference({ xpath: `//*[@ID='${id}']`, transforms: [TRANSFORM_ENVELOPED, C14N_ALGORITHMS.exc], digestAlgorithm: DIGEST_ALGORITHMS.sha256 });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `//*[@ID='${id}']/*[local-name()='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

function appendAssertion(response: Element, id: string, input: SignedResponseInput): void {
  const { now } = input;
  const notOnOrAfter = iso(new Date(now.getTime() + ASSERTION_LIFETIME_MS));
  const assertion = appendElement(response, NS.saml, 'saml:Assertion', { ID: id, Version: SAML_VERSION, IssueInstant: iso(now) });
  // Declared on the assertion itself so that it stands alone once the SP extracts it from the Response.
  declareNamespace(assertion, 'xs', XS);
  declareNamespace(assertion, 'xsi', NS.xsi);
  appendElement(assertion, NS.saml, 'saml:Issuer', {}, input.idp.entityId);

  const subject = appendElement(assertion, NS.saml, 'saml:Subject');
  // The subject is eppn (an attribute); the NameID is a fresh transient one, as many campus IdPs send.
  appendElement(subject, NS.saml, 'saml:NameID', { Format: NAMEID_FORMAT.transient }, newId());
  const confirmation = appendElement(subject, NS.saml, 'saml:SubjectConfirmation', { Method: CM_BEARER });
  appendElement(confirmation, NS.saml, 'saml:SubjectConfirmationData', {
    NotOnOrAfter: notOnOrAfter,
    Recipient: input.sp.acsUrl,
    InResponseTo: input.inResponseTo,
  });

  const conditions = appendElement(assertion, NS.saml, 'saml:Conditions', { NotBefore: iso(now), NotOnOrAfter: notOnOrAfter });
  appendElement(appendElement(conditions, NS.saml, 'saml:AudienceRestriction'), NS.saml, 'saml:Audience', {}, input.sp.entityId);

  const authn = appendElement(assertion, NS.saml, 'saml:AuthnStatement', { AuthnInstant: iso(now), SessionIndex: newId() });
  appendElement(appendElement(authn, NS.saml, 'saml:AuthnContext'), NS.saml, 'saml:AuthnContextClassRef', {}, AUTHN_CONTEXT_UNSPECIFIED);

  const statement = appendElement(assertion, NS.saml, 'saml:AttributeStatement');
  for (const a of input.attributes) {
    const attribute = appendElement(statement, NS.saml, 'saml:Attribute', { Name: a.name, NameFormat: NAMEFORMAT_URI });
    for (const value of a.values) {
      const v = appendElement(attribute, NS.saml, 'saml:AttributeValue', {}, value);
      v.setAttributeNS(NS.xsi, 'xsi:type', 'xs:string');
    }
  }
}

/**
 * A SAML 2.0 Response (Web Browser SSO profile, HTTP-POST binding) for one AuthnRequest: a bearer assertion for
 * the SP's ACS and audience, with the person's attributes. The assertion is signed, then the Response around it,
 * so an SP that wants either or both signatures (`signed: both`) is satisfied.
 */
export function buildSignedResponse(input: SignedResponseInput): string {
  const responseId = newId();
  const assertionId = newId();
  const doc = createXmlDocument(NS.samlp, 'samlp:Response');
  const response = doc.documentElement;
  declareNamespace(response, 'saml', NS.saml);
  response.setAttribute('ID', responseId);
  response.setAttribute('Version', SAML_VERSION);
  response.setAttribute('IssueInstant', iso(input.now));
  response.setAttribute('Destination', input.sp.acsUrl);
  response.setAttribute('InResponseTo', input.inResponseTo);
  appendElement(response, NS.saml, 'saml:Issuer', {}, input.idp.entityId);
  appendElement(appendElement(response, NS.samlp, 'samlp:Status'), NS.samlp, 'samlp:StatusCode', { Value: STATUS_SUCCESS });
  appendAssertion(response, assertionId, input);

  const assertionSigned = signElement(serializeXml(doc), assertionId, input.idp);
  return signElement(assertionSigned, responseId, input.idp);
}
