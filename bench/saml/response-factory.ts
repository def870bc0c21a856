// Freshly signed SAML Responses at the rate the ACS can consume them. The test IdP (xml-crypto over
// @xmldom) needs ~9 ms per response here, which would make a pool for one round take longer than the round.
// So the IdP signs ONE template per pool, with marker values where a response differs (IDs, InResponseTo,
// the student); this module then derives each response from the template's exclusive-c14n forms: put the
// real values in, SHA-256 the canonical Response for the DigestValue, RSA-SHA256 the canonical SignedInfo
// for the SignatureValue. Each response gets its own real signature (~0.3 ms); the server verifies exactly
// what it would verify from the IdP. Sound because the markers are plain [A-Za-z0-9_] attribute and text
// values, which canonicalization copies unchanged; the template's own digest and signature are checked
// against both canonical forms before any response is made from it.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { ExclusiveCanonicalization, findAncestorNs } from 'xml-crypto';
import { ATTR } from '../../src/saml/constants.js';
import { parse, toB64, type AttributeSpec, type TestIdp } from '../../test/support/saml/idp-signer.js';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** Placeholders the template carries; none can occur inside base64 (they contain "_"). */
const MARK = {
  request: '_BENCH_REQUEST_ID_MARKER',
  response: '_BENCH_RESPONSE_ID_MARKER',
  assertion: '_BENCH_ASSERTION_ID_MARKER',
  student: 'BENCH_STUDENT_MARKER',
} as const;

export interface ResponseFactory {
  /** A base64 SAMLResponse answering `requestId` for a distinct student, signed now. */
  make(requestId: string): string;
}

/** Attributes of one student whose identifiers all contain the student marker. */
export function studentAttributes(scope: string): AttributeSpec[] {
  const who = MARK.student;
  return [
    { name: ATTR.eduPersonPrincipalName, friendlyName: 'eduPersonPrincipalName', values: [`${who}@${scope}`] },
    { name: ATTR.eduPersonAffiliation, values: ['student', 'member'] },
    { name: ATTR.eduPersonScopedAffiliation, values: [`student@${scope}`] },
    { name: ATTR.mail, values: [`${who}@${scope}`] },
    { name: ATTR.displayName, values: [`Student ${who}`] },
    { name: ATTR.pairwiseId, values: [`${who}@${scope}`] },
    { name: ATTR.subjectId, values: [`${who}@${scope}`] },
  ];
}

/** Signs a template with the test IdP (whose attributes must come from `studentAttributes`). */
export async function createResponseFactory(idp: TestIdp, keyPem: string, certPem: string): Promise<ResponseFactory> {
  const xml = await idp.response({
    requestId: MARK.request,
    sign: 'response',
    response: { id: MARK.response },
    assertion: { id: MARK.assertion },
  });
  const { canonResponse, canonSignedInfo, digest, signature } = canonicalForms(xml);
  const key = createPrivateKey(keyPem);
  checkTemplate({ canonResponse, canonSignedInfo, digest, signature }, createPublicKey(certPem));

  let serial = 0;
  return {
    make(requestId) {
      if (!/^[\w-]+$/.test(requestId)) throw new Error(`request id ${requestId} would need escaping`);
      serial += 1;
      const values: [string, string][] = [
        [MARK.request, requestId],
        [MARK.response, `_r${randomBytes(16).toString('hex')}`],
        [MARK.assertion, `_a${randomBytes(16).toString('hex')}`],
        [MARK.student, `s${serial.toString(36)}x${randomBytes(6).toString('hex')}`],
      ];
      const newDigest = createHash('sha256').update(fill(canonResponse, values)).digest('base64');
      const signedInfo = fill(canonSignedInfo, values).replace(digest, newDigest);
      const newSignature = sign('sha256', Buffer.from(signedInfo, 'utf8'), key).toString('base64');
      return toB64(fill(xml, values).replace(digest, newDigest).replace(signature, newSignature));
    },
  };
}

function fill(text: string, values: [string, string][]): string {
  let out = text;
  for (const [marker, value] of values) out = out.split(marker).join(value);
  return out;
}

/** The exclusive-c14n forms xml-crypto signed: the Response without its Signature, and the SignedInfo. */
function canonicalForms(xml: string) {
  const doc = parse(xml);
  const root = doc.documentElement;
  const signatureEl = childNs(root, DS, 'Signature');
  const signedInfo = childNs(signatureEl, DS, 'SignedInfo');
  const c14n = new ExclusiveCanonicalization();
  const canonSignedInfo = c14n.process(signedInfo, { ancestorNamespaces: findAncestorNs(doc, "//*[local-name()='SignedInfo']") });
  const digest = textOf(signatureEl, 'DigestValue');
  const signature = textOf(signatureEl, 'SignatureValue');
  root.removeChild(signatureEl);
  const canonResponse = c14n.process(root, {});
  return { canonResponse, canonSignedInfo, digest, signature };
}

function checkTemplate(t: { canonResponse: string; canonSignedInfo: string; digest: string; signature: string }, publicKey: KeyObject): void {
  if (createHash('sha256').update(t.canonResponse).digest('base64') !== t.digest) {
    throw new Error('response template: the canonical Response does not match the DigestValue xml-crypto computed');
  }
  if (!verify('sha256', Buffer.from(t.canonSignedInfo, 'utf8'), publicKey, Buffer.from(t.signature, 'base64'))) {
    throw new Error('response template: the canonical SignedInfo does not match the SignatureValue xml-crypto computed');
  }
  for (const marker of Object.values(MARK)) {
    if (!t.canonResponse.includes(marker)) throw new Error(`response template: marker ${marker} missing from the signed content`);
  }
}

function childNs(parent: Element, ns: string, localName: string): Element {
  for (const node of Array.from(parent.childNodes)) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === localName) return node as Element;
  }
  throw new Error(`response template: no ${localName} under ${parent.localName}`);
}

function textOf(scope: Element, localName: string): string {
  const el = scope.getElementsByTagNameNS(DS, localName)[0];
  const text = el?.textContent?.trim();
  if (!text) throw new Error(`response template: empty ${localName}`);
  return text;
}
