/**
 * Enveloped XML-DSig verification with xml-crypto, for what node-saml cannot verify itself (bare RFC 7522
 * assertions, gap G13; federation metadata) and to read the signed bytes of a Response root.
 *
 * Mirrors node-saml 5.1.0 `getVerifiedXml` (saml-security.md §3.2 step 3), and is stricter:
 * - exactly one ds:Signature child of the element, exactly one SignedInfo, exactly one Reference;
 * - the Reference URI is `#<ID of that element>` (no empty URI, no quotes), and exactly one element
 *   in the document carries that ID/Id/id value (XSW, duplicate IDs);
 * - keys ONLY from the pinned certificates (KeyInfo is never consulted: `getCertFromKeyInfo` is a no-op);
 * - xml-crypto's algorithm tables are cut down to the allow-list (defence in depth behind
 *   `assertSignatureAlgorithms`), so SHA-1 and HMAC cannot be dispatched at all;
 * - the result is ONLY the canonical signed bytes (`getSignedReferences()`), never the input DOM.
 */
import { SignedXml } from 'xml-crypto';
import { C14N_ALLOWED, TRANSFORMS_ALLOWED, type SignaturePolicy } from './algorithms.js';
import { NS } from './constants.js';
import { SamlRefusal } from './errors.js';
import { attr, childElements, descendantElements } from './xml.js';

export type SignatureCheck = { status: 'absent' } | { status: 'valid'; signedXml: string };

const ID_ATTRIBUTE_NAMES = new Set(['ID', 'Id', 'id']);

function pick<T>(table: Record<string, T>, allowed: readonly string[]): Record<string, T> {
  const out: Record<string, T> = Object.create(null) as Record<string, T>;
  for (const uri of allowed) {
    const impl = table[uri];
    if (impl) out[uri] = impl;
  }
  return out;
}

function countElementsWithId(doc: Document, id: string): number {
  let n = 0;
  for (const el of descendantElements(doc)) {
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i);
      if (a && ID_ATTRIBUTE_NAMES.has(a.localName ?? a.name) && a.value === id) n++;
    }
  }
  return n;
}

/** The direct-child ds:Signature of `element`, if any; two or more refuse (decoy signatures). */
export function signatureOf(element: Element): Element | undefined {
  const sigs = childElements(element, NS.ds, 'Signature');
  if (sigs.length > 1) throw new SamlRefusal('signature_invalid', `more than one Signature on ${element.localName}`);
  return sigs[0];
}

/**
 * Verifies the enveloped signature on `element` (which lives in `doc`, parsed from `fullXml`).
 * Returns `absent` when the element carries no signature; throws `signature_invalid` when it carries
 * one that does not verify with any pinned certificate or breaks a structural rule.
 */
export function verifyEnvelopedSignature(
  fullXml: string,
  doc: Document,
  element: Element,
  certsPem: readonly string[],
  policy: SignaturePolicy,
): SignatureCheck {
  const signature = signatureOf(element);
  if (!signature) return { status: 'absent' };
  if (childElements(signature, NS.ds, 'SignedInfo').length !== 1) {
    throw new SamlRefusal('signature_invalid', 'Signature must contain exactly one SignedInfo');
  }
  const id = attr(element, 'ID');
  if (!id) throw new SamlRefusal('signature_invalid', `signed ${element.localName} has no ID`);
  if (/['"]/.test(id)) throw new SamlRefusal('signature_invalid', 'ID contains a quote');
  if (countElementsWithId(doc, id) !== 1) throw new SamlRefusal('signature_invalid', 'ID is not unique in the document');

  // node-saml does the same: we are the XML processor and normalise line ends for xml-crypto.
  const xml = fullXml.replace(/\r\n?/g, '\n');
  let lastError: unknown;
  for (const certPem of certsPem) {
    const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    sig.SignatureAlgorithms = pick(sig.SignatureAlgorithms, policy.signature) as typeof sig.SignatureAlgorithms;
    sig.HashAlgorithms = pick(sig.HashAlgorithms, policy.digest) as typeof sig.HashAlgorithms;
    sig.CanonicalizationAlgorithms = pick(sig.CanonicalizationAlgorithms, [...C14N_ALLOWED, ...TRANSFORMS_ALLOWED]) as typeof sig.CanonicalizationAlgorithms;
    try {
      sig.loadSignature(signature);
    } catch (err) {
      throw new SamlRefusal('signature_invalid', `unreadable Signature: ${(err as Error).message}`, { cause: err });
    }
    const refs = sig.getReferences();
    if (refs.length !== 1) throw new SamlRefusal('signature_invalid', `Signature has ${refs.length} References (exactly 1 required)`);
    const uri = refs[0]?.uri ?? '';
    if (uri !== `#${id}`) throw new SamlRefusal('signature_invalid', 'Reference does not point at the signed element');
    try {
      if (!sig.checkSignature(xml)) continue;
    } catch (err) {
      lastError = err;
      continue;
    }
    const signed = sig.getSignedReferences();
    if (signed.length !== 1 || !signed[0]) throw new SamlRefusal('signature_invalid', 'expected exactly one signed reference');
    return { status: 'valid', signedXml: signed[0] };
  }
  throw new SamlRefusal('signature_invalid', `no pinned certificate verifies the ${element.localName} signature`, {
    cause: lastError,
  });
}
