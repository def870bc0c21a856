import { DOMParser } from '@xmldom/xmldom';
import { inflateRawSync } from 'node:zlib';
import { BINDING_HTTP_POST, NS } from '../../saml/constants.js';

/** What the demo IdP takes from an AuthnRequest. */
export interface DemoAuthnRequest {
  /** Echoed as InResponseTo. */
  id: string;
  /** Where the Response goes: always the configured ACS. */
  acsUrl: string;
}

/** The one service provider the demo IdP serves. */
export interface DemoSp {
  entityId: string;
  acsUrl: string;
}

/** Why the demo IdP will not answer; `message` is shown to the person. */
export class DemoIdpRequestError extends Error {}

const MAX_ENCODED = 16 * 1024;
const MAX_INFLATED = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// xs:ID is an NCName; node-saml makes `_` + hex.
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

function refuse(message: string): never {
  throw new DemoIdpRequestError(message);
}

function inflate(samlRequest: string): string {
  if (samlRequest.length > MAX_ENCODED || !BASE64.test(samlRequest)) refuse('The sign-in request is not valid base64.');
  try {
    return inflateRawSync(Buffer.from(samlRequest, 'base64'), { maxOutputLength: MAX_INFLATED }).toString('utf8');
  } catch {
    return refuse('The sign-in request could not be inflated (HTTP-Redirect binding expects raw DEFLATE).');
  }
}

function parse(xml: string): Element {
  // No DTDs at all: the classic entity-expansion and XXE vectors never reach the parser.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) refuse('The sign-in request contains a DTD.');
  let broken = false;
  const onProblem = () => (broken = true);
  const doc = new DOMParser({ errorHandler: { warning: onProblem, error: onProblem, fatalError: onProblem } }).parseFromString(xml, 'text/xml');
  const root = doc?.documentElement;
  if (broken || !root) refuse('The sign-in request is not well-formed XML.');
  if (root.namespaceURI !== NS.samlp || root.localName !== 'AuthnRequest') refuse('The sign-in request is not a SAML AuthnRequest.');
  return root;
}

function issuerOf(root: Element): string | undefined {
  for (let n = root.firstChild; n; n = n.nextSibling) {
    const el = n as Element;
    if (n.nodeType === 1 && el.namespaceURI === NS.saml && el.localName === 'Issuer') return (el.textContent ?? '').trim();
  }
  return undefined;
}

const attribute = (el: Element, name: string): string | undefined => (el.hasAttribute(name) ? el.getAttribute(name) ?? '' : undefined);

/**
 * Reads an HTTP-Redirect AuthnRequest (SAML bindings §3.4.4.1: base64 of raw DEFLATE) and checks it comes from
 * our SP and asks for our ACS. Like most campus IdPs by default, the redirect signature is not required: the
 * Response only ever goes to the configured ACS, whatever the request says.
 */
export function readAuthnRequest(samlRequest: string, sp: DemoSp, ssoUrl: string): DemoAuthnRequest {
  const root = parse(inflate(samlRequest));
  const id = attribute(root, 'ID');
  if (!id || !NCNAME.test(id)) refuse('The sign-in request has no usable ID.');
  if (attribute(root, 'Version') !== '2.0') refuse('The sign-in request is not SAML 2.0.');
  if (issuerOf(root) !== sp.entityId) refuse('The sign-in request comes from a service this IdP does not know.');
  const destination = attribute(root, 'Destination');
  if (destination !== undefined && destination !== ssoUrl) refuse('The sign-in request was meant for another IdP.');
  const acs = attribute(root, 'AssertionConsumerServiceURL');
  if (acs !== undefined && acs !== sp.acsUrl) refuse('The sign-in request asks for an answer at an address this IdP does not know.');
  const binding = attribute(root, 'ProtocolBinding');
  if (binding !== undefined && binding !== BINDING_HTTP_POST) refuse('The sign-in request asks for a binding other than HTTP-POST.');
  return { id, acsUrl: sp.acsUrl };
}
