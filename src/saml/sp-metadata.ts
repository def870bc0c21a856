/**
 * Our SP metadata (saml-security.md §5.5; node-saml's generator is insufficient, gap G16: it advertises
 * AES-CBC and no key transport). Built with DOM APIs (values are escaped by the serializer), never by
 * string concatenation. The encryption KeyDescriptor lists ONLY what we decrypt: AES-GCM and
 * RSA-OAEP-MGF1P, plus AES-CBC only when at least one IdP is allowed to use it.
 */
import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';
import {
  BINDING_HTTP_POST, DATA_ENCRYPTION, KEY_TRANSPORT, NAMEID_FORMAT, NS, PROTOCOL_SAML2,
} from './constants.js';
import type { SpMetadataOptions } from './settings.js';

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  signingCertPem: string;
  encryptionCertPem: string;
  /** Advertise AES-CBC (only when some IdP has `allowCbcEncryption`). */
  advertiseCbc: boolean;
  options?: SpMetadataOptions;
}

const ATTRNAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const SUBJECT_ID_REQ = 'urn:oasis:names:tc:SAML:profiles:subject-id:req';
const REFEDS_SECURITY = 'http://refeds.org/metadata/contactType/security';

/** Base64 body of a PEM certificate (what ds:X509Certificate holds). */
export function pemToBase64(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new TypeError('not a PEM certificate');
  return m[1].replace(/\s+/g, '');
}

// long: writes the SP metadata elements in the sequence order saml-schema-metadata-2.0 requires; split up, that order would be scattered.
export function buildSpMetadata(input: SpMetadataInput): string {
  const doc = new DOMImplementation().createDocument(NS.md, 'md:EntityDescriptor', null);
  const root = doc.documentElement;
  const el = (parent: Element, ns: string, qname: string, attrs: Record<string, string> = {}, text?: string): Element => {
    const e = doc.createElementNS(ns, qname);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    parent.appendChild(e);
    return e;
  };
  const lang = (e: Element): void => e.setAttributeNS(NS.xml, 'xml:lang', 'en');
  const opts = input.options ?? {};

  root.setAttributeNS(NS.xmlns, 'xmlns:md', NS.md);
  root.setAttributeNS(NS.xmlns, 'xmlns:ds', NS.ds);
  root.setAttribute('entityID', input.entityId);

  if (opts.subjectIdRequirement) {
    root.setAttributeNS(NS.xmlns, 'xmlns:mdattr', NS.mdattr);
    root.setAttributeNS(NS.xmlns, 'xmlns:saml', NS.saml);
    const ext = el(root, NS.md, 'md:Extensions');
    const ea = el(ext, NS.mdattr, 'mdattr:EntityAttributes');
    const a = el(ea, NS.saml, 'saml:Attribute', { Name: SUBJECT_ID_REQ, NameFormat: ATTRNAME_FORMAT_URI });
    el(a, NS.saml, 'saml:AttributeValue', {}, opts.subjectIdRequirement);
  }

  const sso = el(root, NS.md, 'md:SPSSODescriptor', {
    protocolSupportEnumeration: PROTOCOL_SAML2,
    AuthnRequestsSigned: 'true',
    WantAssertionsSigned: 'true',
  });

  const ui = (['displayName', 'description', 'informationUrl', 'privacyStatementUrl'] as const).filter((k) => opts[k]);
  if (ui.length > 0) {
    root.setAttributeNS(NS.xmlns, 'xmlns:mdui', NS.mdui);
    const info = el(el(sso, NS.md, 'md:Extensions'), NS.mdui, 'mdui:UIInfo');
    const names = { displayName: 'DisplayName', description: 'Description', informationUrl: 'InformationURL', privacyStatementUrl: 'PrivacyStatementURL' };
    for (const k of ui) lang(el(info, NS.mdui, `mdui:${names[k]}`, {}, opts[k] as string));
  }

  const keyDescriptor = (use: 'signing' | 'encryption', certPem: string): Element => {
    const kd = el(sso, NS.md, 'md:KeyDescriptor', { use });
    el(el(el(kd, NS.ds, 'ds:KeyInfo'), NS.ds, 'ds:X509Data'), NS.ds, 'ds:X509Certificate', {}, pemToBase64(certPem));
    return kd;
  };
  keyDescriptor('signing', input.signingCertPem);
  const enc = keyDescriptor('encryption', input.encryptionCertPem);
  const methods: string[] = [DATA_ENCRYPTION.aes256gcm, DATA_ENCRYPTION.aes128gcm];
  if (input.advertiseCbc) methods.push(DATA_ENCRYPTION.aes256cbc, DATA_ENCRYPTION.aes128cbc);
  methods.push(KEY_TRANSPORT.rsaOaepMgf1p);
  for (const alg of methods) el(enc, NS.md, 'md:EncryptionMethod', { Algorithm: alg });

  el(sso, NS.md, 'md:NameIDFormat', {}, NAMEID_FORMAT.persistent);
  el(sso, NS.md, 'md:NameIDFormat', {}, NAMEID_FORMAT.transient);
  el(sso, NS.md, 'md:AssertionConsumerService', { Binding: BINDING_HTTP_POST, Location: input.acsUrl, index: '0', isDefault: 'true' });

  if (opts.requestedAttributes?.length) {
    const acs = el(sso, NS.md, 'md:AttributeConsumingService', { index: '0', isDefault: 'true' });
    lang(el(acs, NS.md, 'md:ServiceName', {}, opts.displayName ?? input.entityId));
    for (const ra of opts.requestedAttributes) {
      const attrs: Record<string, string> = { Name: ra.name, NameFormat: ATTRNAME_FORMAT_URI };
      if (ra.friendlyName) attrs.FriendlyName = ra.friendlyName;
      attrs.isRequired = ra.required ? 'true' : 'false';
      el(acs, NS.md, 'md:RequestedAttribute', attrs);
    }
  }

  if (opts.organization) {
    const org = el(root, NS.md, 'md:Organization');
    lang(el(org, NS.md, 'md:OrganizationName', {}, opts.organization.name));
    lang(el(org, NS.md, 'md:OrganizationDisplayName', {}, opts.organization.displayName));
    lang(el(org, NS.md, 'md:OrganizationURL', {}, opts.organization.url));
  }
  for (const c of opts.contacts ?? []) {
    const person = el(root, NS.md, 'md:ContactPerson', { contactType: c.type === 'security' ? 'other' : c.type });
    if (c.type === 'security') {
      root.setAttributeNS(NS.xmlns, 'xmlns:remd', NS.remd);
      person.setAttributeNS(NS.remd, 'remd:contactType', REFEDS_SECURITY);
    }
    el(person, NS.md, 'md:GivenName', {}, c.givenName);
    el(person, NS.md, 'md:EmailAddress', {}, c.email.startsWith('mailto:') ? c.email : `mailto:${c.email}`);
  }

  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}`;
}
