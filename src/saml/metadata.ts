/**
 * IdP metadata (SAML metadata 2.0, shibmd Scope extension) → `ParsedIdpMetadata`. node-saml has no
 * metadata consumption (gap G11). Signed federation aggregates are verified against a pinned
 * certificate (RSA-SHA256 only) and the entity is then read from the SIGNED bytes only, so the same
 * wrapping rules as for responses apply (saml-security.md §5.4).
 */
import { X509Certificate } from 'node:crypto';
import { METADATA_SIGNATURE_POLICY, assertSignatureAlgorithms } from './algorithms.js';
import { compileScopes } from './attributes.js';
import { BINDING_HTTP_REDIRECT, NS, PROTOCOL_SAML2 } from './constants.js';
import { MIN_RSA_BITS } from './config-check.js';
import { guardXmlText } from './decode.js';
import { SamlConfigError, SamlMetadataError, SamlRefusal } from './errors.js';
import type { IdpScope, ParsedIdpMetadata } from './settings.js';
import { parseSamlInstant } from './time.js';
import { signatureOf, verifyEnvelopedSignature } from './verify-signature.js';
import { attr, childElements, descendantElements, isNamed, parseXmlStrict, textOf } from './xml.js';

export interface ParseMetadataOptions {
  /** Required when the document is an aggregate (EntitiesDescriptor). */
  entityId?: string;
  /** When given, an expired `validUntil` on the way to the entity refuses the metadata. */
  now?: Date;
}

function parseMetadataDoc(xml: string): Document {
  try {
    guardXmlText(xml);
    return parseXmlStrict(xml, 'metadata');
  } catch (err) {
    if (err instanceof SamlRefusal) throw new SamlMetadataError('metadata_malformed', err.detail ?? err.reason, { cause: err });
    throw err;
  }
}

function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function checkedCert(base64: string, entityId: string): string {
  const pem = toPem(base64);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new SamlMetadataError('metadata_malformed', `${entityId}: unreadable X509Certificate`, { cause: err });
  }
  const key = cert.publicKey;
  const bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength ?? 0 : 0;
  // Expired certificates are fine (trust = the key in metadata, not PKI dates); weak or non-RSA keys are not.
  if (bits < MIN_RSA_BITS) throw new SamlMetadataError('metadata_weak_key', `${entityId}: needs RSA ≥ ${MIN_RSA_BITS} bits`);
  return pem;
}

function validUntilOf(el: Element): Date | undefined {
  const v = attr(el, 'validUntil');
  if (v === undefined) return undefined;
  try {
    return parseSamlInstant(v, 'validUntil');
  } catch (err) {
    throw new SamlMetadataError('metadata_malformed', `bad validUntil ${JSON.stringify(v)}`, { cause: err });
  }
}

function selectEntity(root: Element, entityId: string | undefined): Element {
  if (isNamed(root, NS.md, 'EntityDescriptor')) {
    if (entityId !== undefined && attr(root, 'entityID') !== entityId) {
      throw new SamlMetadataError('metadata_entity_not_found', `metadata describes ${attr(root, 'entityID')}, not ${entityId}`);
    }
    return root;
  }
  if (!isNamed(root, NS.md, 'EntitiesDescriptor')) throw new SamlMetadataError('metadata_malformed', `unexpected root ${root.localName}`);
  if (entityId === undefined) throw new SamlMetadataError('metadata_entity_not_found', 'an aggregate needs an entityId to select');
  const matches = descendantElements(root, 'EntityDescriptor').filter(
    (e) => e.namespaceURI === NS.md && attr(e, 'entityID') === entityId,
  );
  if (matches.length === 0) throw new SamlMetadataError('metadata_entity_not_found', `${entityId} is not in the aggregate`);
  if (matches.length > 1) throw new SamlMetadataError('metadata_malformed', `${entityId} appears ${matches.length} times`);
  return matches[0] as Element;
}

function scopesOf(parent: Element | undefined): IdpScope[] {
  const ext = parent ? childElements(parent, NS.md, 'Extensions')[0] : undefined;
  if (!ext) return [];
  return childElements(ext, NS.shibmd, 'Scope').map((s) => {
    const re = attr(s, 'regexp');
    return { value: textOf(s), regexp: re === 'true' || re === '1' };
  });
}

/** Parses (already trusted) metadata and returns what the engine needs for one IdP. */
export function parseIdpMetadata(xml: string, opts: ParseMetadataOptions = {}): ParsedIdpMetadata {
  const doc = parseMetadataDoc(xml);
  const entity = selectEntity(doc.documentElement, opts.entityId);
  const entityId = attr(entity, 'entityID');
  if (!entityId) throw new SamlMetadataError('metadata_malformed', 'EntityDescriptor without entityID');

  // The tightest validUntil on the path root → entity.
  let validUntil: Date | undefined;
  for (let n: Node | null = entity; n && n.nodeType === 1; n = n.parentNode) {
    const v = validUntilOf(n as Element);
    if (v && (!validUntil || v < validUntil)) validUntil = v;
  }
  if (validUntil && opts.now && validUntil <= opts.now) {
    throw new SamlMetadataError('metadata_expired', `metadata for ${entityId} expired at ${validUntil.toISOString()}`);
  }

  const idpsso = childElements(entity, NS.md, 'IDPSSODescriptor').filter((d) =>
    (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL_SAML2),
  );
  if (idpsso.length !== 1) throw new SamlMetadataError('metadata_not_idp', `${entityId} has ${idpsso.length} SAML 2.0 IDPSSODescriptors`);
  const role = idpsso[0] as Element;

  const signingCertsPem: string[] = [];
  const encryptionCertsPem: string[] = [];
  for (const kd of childElements(role, NS.md, 'KeyDescriptor')) {
    const use = attr(kd, 'use');
    const keyInfo = childElements(kd, NS.ds, 'KeyInfo')[0];
    const certs = keyInfo
      ? childElements(keyInfo, NS.ds, 'X509Data').flatMap((d) => childElements(d, NS.ds, 'X509Certificate'))
      : [];
    for (const c of certs) {
      const pem = checkedCert(textOf(c), entityId);
      if (use === undefined || use === 'signing') signingCertsPem.push(pem);
      if (use === undefined || use === 'encryption') encryptionCertsPem.push(pem);
    }
  }
  if (signingCertsPem.length === 0) throw new SamlMetadataError('metadata_no_signing_key', `${entityId} publishes no signing certificate`);

  const redirect = childElements(role, NS.md, 'SingleSignOnService').find((s) => attr(s, 'Binding') === BINDING_HTTP_REDIRECT);
  const scopes = [...scopesOf(entity), ...scopesOf(role)];
  try {
    compileScopes(scopes, `metadata ${entityId}`);
  } catch (err) {
    if (err instanceof SamlConfigError) throw new SamlMetadataError('metadata_malformed', err.message, { cause: err });
    throw err;
  }

  const parsed: ParsedIdpMetadata = { entityId, signingCertsPem, encryptionCertsPem, scopes };
  const location = redirect ? attr(redirect, 'Location') : undefined;
  if (location) parsed.ssoRedirectUrl = location;
  if (validUntil) parsed.validUntil = validUntil;
  return parsed;
}

/**
 * Verifies a signed federation aggregate (or MDQ answer) against a pinned certificate and returns ONLY
 * the signed bytes (`xml`), from which the entity must then be read. The root must be signed (RSA-SHA256,
 * reference to the root's ID), carry `validUntil`, and not be expired at `now`.
 */
export function verifyMetadataAggregate(xml: string, pinnedCertPem: string, now: Date): { xml: string; validUntil: Date } {
  const doc = parseMetadataDoc(xml);
  const root = doc.documentElement;
  if (!isNamed(root, NS.md, 'EntitiesDescriptor') && !isNamed(root, NS.md, 'EntityDescriptor')) {
    throw new SamlMetadataError('metadata_malformed', `unexpected root ${root.localName}`);
  }
  let signedXml: string;
  try {
    const signature = signatureOf(root);
    if (!signature) throw new SamlMetadataError('metadata_signature_missing', 'the aggregate root is not signed');
    assertSignatureAlgorithms(signature, METADATA_SIGNATURE_POLICY);
    const check = verifyEnvelopedSignature(xml, doc, root, [pinnedCertPem], METADATA_SIGNATURE_POLICY);
    if (check.status !== 'valid') throw new SamlMetadataError('metadata_signature_missing', 'the aggregate root is not signed');
    signedXml = check.signedXml;
  } catch (err) {
    if (!(err instanceof SamlRefusal)) throw err;
    const code = err.reason === 'algorithm_forbidden' ? 'metadata_algorithm_forbidden' : 'metadata_signature_invalid';
    throw new SamlMetadataError(code, err.detail ?? err.reason, { cause: err });
  }
  const signedRoot = parseMetadataDoc(signedXml).documentElement;
  const validUntil = validUntilOf(signedRoot);
  if (!validUntil) throw new SamlMetadataError('metadata_validity_missing', 'signed aggregate has no validUntil');
  if (validUntil <= now) throw new SamlMetadataError('metadata_expired', `aggregate expired at ${validUntil.toISOString()}`);
  return { xml: signedXml, validUntil };
}
