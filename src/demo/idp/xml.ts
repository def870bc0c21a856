import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';

/** A new document whose root is `qname` in `ns`; every value below is set through the DOM and escaped when serialized. */
export function createXmlDocument(ns: string, qname: string): Document {
  return new DOMImplementation().createDocument(ns, qname, null);
}

/** Appends an element with attributes (undefined ones left out) and optional text. */
export function appendElement(parent: Node, ns: string, qname: string, attrs: Record<string, string | undefined> = {}, text?: string): Element {
  const doc = parent.ownerDocument ?? (parent as Document);
  const el = doc.createElementNS(ns, qname);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  if (text !== undefined) el.appendChild(doc.createTextNode(text));
  parent.appendChild(el);
  return el;
}

export function declareNamespace(el: Element, prefix: string, ns: string): void {
  el.setAttributeNS('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, ns);
}

export function serializeXml(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}

/** The base64 body of a PEM certificate, as `ds:X509Certificate` carries it. */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
