import { BINDING_HTTP_REDIRECT, NAMEID_FORMAT, NS, PROTOCOL_SAML2 } from '../../saml/constants.js';
import { appendElement, createXmlDocument, declareNamespace, pemBody, serializeXml } from './xml.js';

export interface DemoIdpDescription {
  entityId: string;
  /** SingleSignOnService, HTTP-Redirect binding. */
  ssoUrl: string;
  signingCertPem: string;
  /** Published as `<shibmd:Scope>`: the SP accepts scoped attributes (eppn, scoped affiliation) only under it. */
  scope: string;
}

/** The demo IdP's SAML metadata, as a campus IdP publishes it (and as the demo config pins it from a file). */
export function buildDemoIdpMetadata(d: DemoIdpDescription): string {
  const doc = createXmlDocument(NS.md, 'md:EntityDescriptor');
  const root = doc.documentElement;
  root.setAttribute('entityID', d.entityId);
  declareNamespace(root, 'ds', NS.ds);
  declareNamespace(root, 'shibmd', NS.shibmd);
  const idp = appendElement(root, NS.md, 'md:IDPSSODescriptor', { protocolSupportEnumeration: PROTOCOL_SAML2 });
  const extensions = appendElement(idp, NS.md, 'md:Extensions');
  appendElement(extensions, NS.shibmd, 'shibmd:Scope', { regexp: 'false' }, d.scope);
  const keyInfo = appendElement(appendElement(idp, NS.md, 'md:KeyDescriptor', { use: 'signing' }), NS.ds, 'ds:KeyInfo');
  appendElement(appendElement(keyInfo, NS.ds, 'ds:X509Data'), NS.ds, 'ds:X509Certificate', {}, pemBody(d.signingCertPem));
  appendElement(idp, NS.md, 'md:NameIDFormat', {}, NAMEID_FORMAT.transient);
  appendElement(idp, NS.md, 'md:SingleSignOnService', { Binding: BINDING_HTTP_REDIRECT, Location: d.ssoUrl });
  return serializeXml(doc);
}
