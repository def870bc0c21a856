// SAML XML built with @xmldom DOM APIs (values escaped by the serializer): the spec types the test IdP
// fills in, and the assertion builder. Signing and encryption live in idp-signer.ts.
import { CM_BEARER, NS } from '../../../src/saml/constants.js';

const iso = (d: Date): string => d.toISOString();

export interface NameIdSpec {
  value: string;
  format?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  /** Insert an empty comment at this offset of the value (CVE-2017-11427 shape). */
  commentAt?: number;
}

export type AttrValueSpec = string | { nameId: NameIdSpec } | { complex: true } | { nil: true } | { text: string; commentAt: number };

export interface AttributeSpec {
  name: string;
  values: AttrValueSpec[];
  friendlyName?: string;
}

export interface ConfirmationSpec {
  method?: string;
  recipient?: string | null;
  notBefore?: Date;
  notOnOrAfter?: Date | null;
  inResponseTo?: string | null;
  noData?: boolean;
}

export interface AssertionSpec {
  id: string;
  issuer: string;
  issueInstant: Date;
  nameId: NameIdSpec | null;
  confirmations: ConfirmationSpec[];
  conditions: { notBefore?: Date | null; notOnOrAfter?: Date | null; audiences: string[][] } | null;
  authn: { instant: Date; sessionIndex?: string; sessionNotOnOrAfter?: Date; classRef?: string } | null;
  attributes: AttributeSpec[];
  /** Assertions nested in saml:Advice (never a source of identity). */
  advice?: AssertionSpec[];
}

export interface ResponseSpec {
  id: string;
  issuer: string | null;
  destination: string | null;
  inResponseTo: string | null;
  status: string;
  issueInstant: Date;
  version: string;
}

export function el(doc: Document, parent: Node, ns: string, qname: string, attrs: Record<string, string | undefined> = {}, text?: string): Element {
  const e = doc.createElementNS(ns, qname);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  if (text !== undefined) e.appendChild(doc.createTextNode(text));
  parent.appendChild(e);
  return e;
}

function textWithComment(doc: Document, parent: Element, text: string, commentAt?: number): void {
  if (commentAt === undefined) {
    parent.appendChild(doc.createTextNode(text));
    return;
  }
  parent.appendChild(doc.createTextNode(text.slice(0, commentAt)));
  parent.appendChild(doc.createComment(''));
  parent.appendChild(doc.createTextNode(text.slice(commentAt)));
}

function nameIdElement(doc: Document, parent: Element, n: NameIdSpec): void {
  const e = el(doc, parent, NS.saml, 'saml:NameID', { Format: n.format, NameQualifier: n.nameQualifier, SPNameQualifier: n.spNameQualifier });
  textWithComment(doc, e, n.value, n.commentAt);
}

/** Appends a saml:Assertion (namespaces declared on it, so it survives extraction for encryption). */
export function appendAssertion(doc: Document, parent: Node, a: AssertionSpec): Element {
  const as = el(doc, parent, NS.saml, 'saml:Assertion', { ID: a.id, Version: '2.0', IssueInstant: iso(a.issueInstant) });
  as.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:saml', NS.saml);
  as.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:xs', 'http://www.w3.org/2001/XMLSchema');
  as.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:xsi', NS.xsi);
  el(doc, as, NS.saml, 'saml:Issuer', {}, a.issuer);
  if (a.nameId || a.confirmations.length) {
    const subject = el(doc, as, NS.saml, 'saml:Subject');
    if (a.nameId) nameIdElement(doc, subject, a.nameId);
    for (const c of a.confirmations) {
      const sc = el(doc, subject, NS.saml, 'saml:SubjectConfirmation', { Method: c.method ?? CM_BEARER });
      if (c.noData) continue;
      el(doc, sc, NS.saml, 'saml:SubjectConfirmationData', {
        NotBefore: c.notBefore ? iso(c.notBefore) : undefined,
        NotOnOrAfter: c.notOnOrAfter ? iso(c.notOnOrAfter) : undefined,
        Recipient: c.recipient ?? undefined,
        InResponseTo: c.inResponseTo ?? undefined,
      });
    }
  }
  if (a.conditions) {
    const c = el(doc, as, NS.saml, 'saml:Conditions', {
      NotBefore: a.conditions.notBefore ? iso(a.conditions.notBefore) : undefined,
      NotOnOrAfter: a.conditions.notOnOrAfter ? iso(a.conditions.notOnOrAfter) : undefined,
    });
    for (const audiences of a.conditions.audiences) {
      const ar = el(doc, c, NS.saml, 'saml:AudienceRestriction');
      for (const aud of audiences) el(doc, ar, NS.saml, 'saml:Audience', {}, aud);
    }
  }
  if (a.advice?.length) {
    const advice = el(doc, as, NS.saml, 'saml:Advice');
    for (const inner of a.advice) appendAssertion(doc, advice, inner);
  }
  if (a.authn) {
    const st = el(doc, as, NS.saml, 'saml:AuthnStatement', {
      AuthnInstant: iso(a.authn.instant),
      SessionIndex: a.authn.sessionIndex,
      SessionNotOnOrAfter: a.authn.sessionNotOnOrAfter ? iso(a.authn.sessionNotOnOrAfter) : undefined,
    });
    const ctx = el(doc, st, NS.saml, 'saml:AuthnContext');
    el(doc, ctx, NS.saml, 'saml:AuthnContextClassRef', {}, a.authn.classRef ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
  }
  if (a.attributes.length) {
    const st = el(doc, as, NS.saml, 'saml:AttributeStatement');
    for (const attr of a.attributes) {
      const ae = el(doc, st, NS.saml, 'saml:Attribute', {
        Name: attr.name, NameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', FriendlyName: attr.friendlyName,
      });
      for (const v of attr.values) {
        const ve = el(doc, ae, NS.saml, 'saml:AttributeValue');
        if (typeof v === 'string') {
          ve.setAttributeNS(NS.xsi, 'xsi:type', 'xs:string');
          ve.appendChild(doc.createTextNode(v));
        } else if ('nameId' in v) nameIdElement(doc, ve, v.nameId);
        else if ('complex' in v) el(doc, ve, 'urn:example:x', 'x:Thing', {}, 'complex');
        else if ('nil' in v) ve.setAttributeNS(NS.xsi, 'xsi:nil', 'true');
        else textWithComment(doc, ve, v.text, v.commentAt);
      }
    }
  }
  return as;
}

