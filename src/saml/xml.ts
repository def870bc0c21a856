/**
 * XML parsing and namespace-aware DOM helpers. We parse with the same @xmldom/xmldom that node-saml
 * and xml-crypto use (one parser for every step: no parser differential), but stricter: warnings,
 * errors and fatal errors all refuse the document.
 */
import { DOMParser } from '@xmldom/xmldom';
import { SamlRefusal } from './errors.js';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** Parses one XML document; any parser complaint refuses it as `xml_malformed`. */
export function parseXmlStrict(xml: string, what = 'document'): Document {
  const problems: string[] = [];
  const record = (msg: string): void => {
    problems.push(String(msg));
  };
  let doc: Document | undefined;
  try {
    doc = new DOMParser({
      locator: {},
      errorHandler: { warning: record, error: record, fatalError: record },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    throw new SamlRefusal('xml_malformed', `${what}: ${(err as Error).message ?? String(err)}`, { cause: err });
  }
  if (problems.length > 0) throw new SamlRefusal('xml_malformed', `${what}: ${problems[0]}`);
  if (!doc?.documentElement) throw new SamlRefusal('xml_malformed', `${what}: no root element`);
  return doc;
}

export function isElement(node: Node | null | undefined): node is Element {
  return node != null && node.nodeType === ELEMENT_NODE;
}

/** Direct element children, optionally filtered by namespace URI and local name. */
export function childElements(parent: Node, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (!isElement(n)) continue;
    if (ns !== undefined && n.namespaceURI !== ns) continue;
    if (localName !== undefined && n.localName !== localName) continue;
    out.push(n);
  }
  return out;
}

/** The single child (ns, localName), undefined if absent; more than one is malformed. */
export function optionalChild(parent: Element, ns: string, localName: string): Element | undefined {
  const found = childElements(parent, ns, localName);
  if (found.length > 1) throw new SamlRefusal('xml_malformed', `more than one ${localName} in ${parent.localName}`);
  return found[0];
}

export function requiredChild(parent: Element, ns: string, localName: string): Element {
  const el = optionalChild(parent, ns, localName);
  if (!el) throw new SamlRefusal('xml_malformed', `${parent.localName} has no ${localName}`);
  return el;
}

/** Every element below `root` (document order, root included), optionally by local name. */
export function descendantElements(root: Node, localName?: string): Element[] {
  const out: Element[] = [];
  const walk = (node: Node): void => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (!isElement(n)) continue;
      if (localName === undefined || n.localName === localName) out.push(n);
      walk(n);
    }
  };
  if (isElement(root) && (localName === undefined || root.localName === localName)) out.push(root);
  walk(root);
  return out;
}

/** Attribute value or undefined (xmldom's getAttribute returns '' for a missing attribute). */
export function attr(el: Element, name: string): string | undefined {
  return el.hasAttribute(name) ? el.getAttribute(name) ?? '' : undefined;
}

/**
 * The concatenated text of an element (all text and CDATA descendants; comments and processing
 * instructions are skipped, so `user@victim.edu<!---->.evil.com` reads as the full string, never
 * the truncated first text node: CVE-2017-11427 class), trimmed of XML whitespace.
 */
export function textOf(el: Element): string {
  let out = '';
  const walk = (node: Node): void => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) out += (n as CharacterData).data;
      else if (isElement(n)) walk(n);
    }
  };
  walk(el);
  return out.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

export function isNamed(el: Element, ns: string, localName: string): boolean {
  return el.namespaceURI === ns && el.localName === localName;
}

/** True when some ancestor of `el` (excluding `el`) has this local name in this namespace. */
export function hasAncestor(el: Element, ns: string, localName: string): boolean {
  for (let p = el.parentNode; p; p = p.parentNode) {
    if (isElement(p) && isNamed(p, ns, localName)) return true;
  }
  return false;
}
