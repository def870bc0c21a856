/**
 * Structural rules on the raw document, before any signature is verified. They refuse every
 * signature-wrapping layout (XSW1–8, CVE-2022-41912, XSW-Ext, decoy signatures, wrapped SignedInfo,
 * stray DigestValue) on shape alone, independently of node-saml's own (good) reference checks:
 * - exactly one saml:Assertion or saml:EncryptedAssertion outside saml:Advice in the whole document,
 *   and it is a direct child of the Response (or is the root, for a bare assertion);
 * - ds:Signature elements only as direct children of the root or of a saml:Assertion, each shaped
 *   exactly SignedInfo(CanonicalizationMethod, SignatureMethod, Reference), SignatureValue, KeyInfo?
 *   with no ds:Object, no comments and no processing instructions inside;
 * - no other XML-DSig element outside a ds:Signature or an xenc:EncryptedData/EncryptedKey.
 */
import { NS } from './constants.js';
import { SamlRefusal } from './errors.js';
import { attr, childElements, descendantElements, hasAncestor, isElement, isNamed, textOf } from './xml.js';

const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

function assertionsOutsideAdvice(doc: Document): Element[] {
  return descendantElements(doc).filter(
    (el) =>
      el.namespaceURI === NS.saml &&
      (el.localName === 'Assertion' || el.localName === 'EncryptedAssertion') &&
      !hasAncestor(el, NS.saml, 'Advice'),
  );
}

export function statusCodeOf(response: Element): string | undefined {
  const status = childElements(response, NS.samlp, 'Status')[0];
  const code = status ? childElements(status, NS.samlp, 'StatusCode')[0] : undefined;
  return code ? attr(code, 'Value') : undefined;
}

/** The one assertion of a Response; none → `assertion_missing` (or `status_not_success`), several → `multiple_assertions`. */
export function soleResponseAssertion(doc: Document): { element: Element; encrypted: boolean } {
  const root = doc.documentElement;
  const found = assertionsOutsideAdvice(doc);
  if (found.length > 1) throw new SamlRefusal('multiple_assertions', `${found.length} assertions in the document`);
  const [el] = found;
  if (!el) {
    const status = statusCodeOf(root);
    if (status && !status.endsWith(':Success')) throw new SamlRefusal('status_not_success', `StatusCode ${status}`);
    throw new SamlRefusal('assertion_missing', 'Response carries no assertion');
  }
  if (el.parentNode !== root) throw new SamlRefusal('assertion_missing', `the assertion is not a child of the Response (under ${(el.parentNode as Element | null)?.localName})`);
  return { element: el, encrypted: el.localName === 'EncryptedAssertion' };
}

/** A bare assertion document: the root is the only assertion outside Advice. */
export function assertSoleBareAssertion(doc: Document): void {
  const found = assertionsOutsideAdvice(doc);
  if (found.length !== 1 || found[0] !== doc.documentElement) {
    throw new SamlRefusal('multiple_assertions', `${found.length} assertions in the document`);
  }
}

function expectChildren(parent: Element, names: readonly string[], optionalLast: string | undefined): void {
  const got = childElements(parent).map((c) => (c.namespaceURI === NS.ds ? c.localName : `{${c.namespaceURI}}${c.localName}`));
  const want = optionalLast && got.length === names.length + 1 ? [...names, optionalLast] : names;
  if (got.length !== want.length || got.some((n, i) => n !== want[i])) {
    throw new SamlRefusal('signature_invalid', `${parent.localName} must contain ${want.join(', ')}; has ${got.join(', ') || 'nothing'}`);
  }
}

function assertNoCommentsOrPIs(node: Node): void {
  for (let n = node.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === COMMENT_NODE || n.nodeType === PROCESSING_INSTRUCTION_NODE) {
      throw new SamlRefusal('signature_invalid', 'comment or processing instruction inside ds:Signature');
    }
    assertNoCommentsOrPIs(n);
  }
}

/** XML-DSig shape as SAML uses it: one SignedInfo with one Reference, no ds:Object (XSW8, decoys). */
function assertSignatureShape(sig: Element): void {
  expectChildren(sig, ['SignedInfo', 'SignatureValue'], 'KeyInfo');
  const signedInfo = childElements(sig)[0] as Element;
  expectChildren(signedInfo, ['CanonicalizationMethod', 'SignatureMethod', 'Reference'], undefined);
  const reference = childElements(signedInfo)[2] as Element;
  const parts = childElements(reference).map((c) => c.localName);
  expectChildren(reference, parts[0] === 'Transforms' ? ['Transforms', 'DigestMethod', 'DigestValue'] : ['DigestMethod', 'DigestValue'], undefined);
  assertNoCommentsOrPIs(sig);
}

/** "Exactly one ds:Signature per signed element, none elsewhere", each well-shaped. */
export function assertSignaturePlacement(doc: Document): void {
  const root = doc.documentElement;
  for (const el of descendantElements(doc)) {
    if (el.namespaceURI !== NS.ds) continue;
    if (el.localName === 'Signature') {
      const parent = el.parentNode;
      const ok = isElement(parent) && (parent === root || isNamed(parent, NS.saml, 'Assertion'));
      if (!ok) throw new SamlRefusal('signature_invalid', `ds:Signature under ${isElement(parent) ? parent.localName : 'document'}`);
      assertSignatureShape(el);
    } else if (
      !hasAncestor(el, NS.ds, 'Signature') && !hasAncestor(el, NS.xenc, 'EncryptedData') && !hasAncestor(el, NS.xenc, 'EncryptedKey')
    ) {
      // e.g. a DigestValue planted in StatusDetail/Extensions for an absolute-XPath reader (CVE-2024-45409).
      throw new SamlRefusal('signature_invalid', `stray ds:${el.localName}`);
    }
  }
}

/** Unverified Issuer for routing ONLY (Response/Issuer, else Assertion/Issuer). Rechecked on signed bytes. */
export function routingIssuer(root: Element): string | undefined {
  const direct = childElements(root, NS.saml, 'Issuer')[0];
  if (direct) return textOf(direct);
  if (isNamed(root, NS.samlp, 'Response')) {
    const assertion = childElements(root, NS.saml, 'Assertion')[0];
    const inner = assertion ? childElements(assertion, NS.saml, 'Issuer')[0] : undefined;
    if (inner) return textOf(inner);
  }
  return undefined;
}
