// IdP metadata documents for tests (template strings over trusted test values), and a federation signer.
import { SignedXml } from 'xml-crypto';
import { ALG } from './idp-signer.js';
import { certBody, type TestKeyPair } from './keys.js';

export interface EntityFixture {
  entityId: string;
  signingCertPem: string;
  encryptionCertPem?: string;
  /** A KeyDescriptor without `use` (signing AND encryption). */
  unqualifiedCertPem?: string;
  scopes?: Array<{ value: string; regexp?: boolean }>;
  roleScopes?: Array<{ value: string; regexp?: boolean }>;
  validUntil?: Date;
  protocols?: string;
  sso?: boolean;
}

const kd = (use: string | undefined, pem: string): string =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n${certBody(pem).replace(/(.{64})/g, '$1\n')}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
const scopes = (list: EntityFixture['scopes']): string =>
  list?.length ? `<md:Extensions>${list.map((s) => `<shibmd:Scope regexp="${s.regexp ? 'true' : 'false'}">${s.value}</shibmd:Scope>`).join('')}</md:Extensions>` : '';

export function entityXml(e: EntityFixture, standalone = true): string {
  const ns = standalone
    ? ' xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"'
    : '';
  const base = e.entityId.replace(/\/[^/]*$/, '');
  return `<md:EntityDescriptor${ns} entityID="${e.entityId}"${e.validUntil ? ` validUntil="${e.validUntil.toISOString()}"` : ''}>${scopes(e.scopes)}`
    + `<md:IDPSSODescriptor protocolSupportEnumeration="${e.protocols ?? 'urn:oasis:names:tc:SAML:2.0:protocol'}">${scopes(e.roleScopes)}`
    + kd('signing', e.signingCertPem)
    + (e.encryptionCertPem ? kd('encryption', e.encryptionCertPem) : '')
    + (e.unqualifiedCertPem ? kd(undefined, e.unqualifiedCertPem) : '')
    + '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>'
    + (e.sso === false ? '' : `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${base}/profile/SAML2/POST/SSO"/>`
      + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/profile/SAML2/Redirect/SSO"/>`)
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';
}

export function aggregateXml(entities: EntityFixture[], opts: { id?: string; validUntil?: Date; nested?: boolean } = {}): string {
  const inner = entities.map((e) => entityXml(e, false)).join('');
  const body = opts.nested ? `<md:EntitiesDescriptor Name="inner">${inner}</md:EntitiesDescriptor>` : inner;
  return '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
    + ' xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"'
    + ` ID="${opts.id ?? '_agg1'}" Name="urn:mace:test:federation"${opts.validUntil ? ` validUntil="${opts.validUntil.toISOString()}"` : ''}>`
    + `${body}</md:EntitiesDescriptor>`;
}

/** Signs the root (first child position, as federations do). */
export function signRoot(xml: string, key: TestKeyPair, alg: { signature?: string; digest?: string } = {}): string {
  const sig = new SignedXml({ privateKey: key.keyPem, publicCert: key.certPem, canonicalizationAlgorithm: ALG.excC14n, signatureAlgorithm: (alg.signature ?? ALG.rsaSha256) as never });
  const id = /\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
  sig.addReference({ xpath: `//*[@ID='${id}']`, transforms: [ALG.enveloped, ALG.excC14n], digestAlgorithm: alg.digest ?? ALG.sha256 });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'prepend' } });
  return sig.getSignedXml();
}
