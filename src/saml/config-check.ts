/**
 * Validates SP and IdP settings once, at construction, and resolves them into what the engine uses.
 * Unsafe combinations fail here (house style §8.6: no switch that fails open).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { compileClaimRules, type ClaimRules } from '../claims/rules.js';
import { compileAttributeMap, compileScopes, type AttributeMap, type ScopeMatcher } from './attributes.js';
import { SamlConfigError } from './errors.js';
import {
  ASSERTION_AGE_SECONDS, AUTHN_AGE_SECONDS, DEFAULT_MAX_ASSERTION_AGE_SECONDS, DEFAULT_MAX_RESPONSE_BYTES, MAX_CLOCK_SKEW_SECONDS,
  SUBJECT_SOURCES, type IdpSettings, type SpSettings,
} from './settings.js';

export const MIN_RSA_BITS = 2048;
const IDP_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SIGNED_PARTS = ['response', 'assertion', 'both'] as const;
const NO_CLAIM_RULES = compileClaimRules({});

export interface ResolvedSp {
  settings: SpSettings;
  entityId: string;
  acsUrl: string;
  maxResponseBytes: number;
}

export interface ResolvedIdp {
  settings: IdpSettings;
  id: string;
  entityId: string;
  certsPem: readonly string[];
  skewMs: number;
  /** Age caps of IssueInstant and AuthnInstant (null: none), ms, before the skew. */
  maxAgeMs: number;
  maxAuthnAgeMs: number | null;
  scopeAllowed: ScopeMatcher;
  attributeMap: AttributeMap;
  claimRules: ClaimRules;
}

/** `https:` anywhere; `http:` only on loopback (local demo and tests). */
export function assertServiceUrl(value: string, path: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new SamlConfigError(path, 'not an absolute URL', { cause: err });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new SamlConfigError(path, 'must be https (http only on loopback)');
  if (url.hash) throw new SamlConfigError(path, 'must not have a fragment');
}

function rsaBits(key: KeyObject): number {
  return key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength ?? 0 : 0;
}

/** Parses a PEM certificate and insists on RSA ≥ 2048 (xml-crypto verifies RSA only). */
export function checkRsaCertificate(pem: string, path: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new SamlConfigError(path, 'not a PEM X.509 certificate', { cause: err });
  }
  const bits = rsaBits(cert.publicKey);
  if (bits < MIN_RSA_BITS) throw new SamlConfigError(path, `needs an RSA key of at least ${MIN_RSA_BITS} bits`);
  return cert;
}

function checkKeyPair(keyPem: string, certPem: string, path: string): void {
  const cert = checkRsaCertificate(certPem, `${path}.cert`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new SamlConfigError(`${path}.key`, 'not a PEM private key', { cause: err });
  }
  if (!cert.checkPrivateKey(key)) throw new SamlConfigError(path, 'private key does not match the certificate');
}

export function resolveSp(sp: SpSettings): ResolvedSp {
  if (typeof sp.entityId !== 'string' || sp.entityId.length === 0 || sp.entityId.length > 1024) {
    throw new SamlConfigError('sp.entityId', 'must be a non-empty string (≤ 1024 chars)');
  }
  assertServiceUrl(sp.acsUrl, 'sp.acsUrl');
  checkKeyPair(sp.keys.signingKeyPem, sp.keys.signingCertPem, 'sp.keys.signing');
  checkKeyPair(sp.keys.encryptionKeyPem, sp.keys.encryptionCertPem, 'sp.keys.encryption');
  const maxResponseBytes = sp.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 4096 || maxResponseBytes > 16 * 1024 * 1024) {
    throw new SamlConfigError('sp.maxResponseBytes', 'must be an integer between 4 KiB and 16 MiB');
  }
  return { settings: sp, entityId: sp.entityId, acsUrl: sp.acsUrl, maxResponseBytes };
}

function checkSeconds(value: number, bounds: { min: number; max: number }, path: string): void {
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new SamlConfigError(path, `must be an integer ${bounds.min}..${bounds.max}`);
  }
}

export function resolveIdp(idp: IdpSettings, path: string): ResolvedIdp {
  if (!IDP_ID.test(idp.id ?? '')) throw new SamlConfigError(`${path}.id`, `must match ${IDP_ID}`);
  const md = idp.metadata;
  if (!md?.entityId) throw new SamlConfigError(`${path}.metadata.entityId`, 'missing');
  if (!Array.isArray(md.signingCertsPem) || md.signingCertsPem.length === 0) {
    throw new SamlConfigError(`${path}.metadata.signingCertsPem`, 'the IdP has no signing certificate');
  }
  md.signingCertsPem.forEach((pem, i) => checkRsaCertificate(pem, `${path}.metadata.signingCertsPem[${i}]`));
  if (!SIGNED_PARTS.includes(idp.signed)) throw new SamlConfigError(`${path}.signed`, `must be one of ${SIGNED_PARTS.join(', ')}`);
  for (const flag of ['allowUnsolicited', 'allowCbcEncryption'] as const) {
    if (typeof idp[flag] !== 'boolean') throw new SamlConfigError(`${path}.${flag}`, 'must be a boolean');
  }
  // CBC is malleable; it is only safe when the Response signature (over the ciphertext) is required
  // and verified before decryption, which closes the padding-oracle path.
  if (idp.allowCbcEncryption && idp.signed === 'assertion') {
    throw new SamlConfigError(`${path}.allowCbcEncryption`, "requires signed: 'response' or 'both'");
  }
  const skew = idp.clockSkewSeconds;
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_SECONDS) {
    throw new SamlConfigError(`${path}.clockSkewSeconds`, `must be an integer 0..${MAX_CLOCK_SKEW_SECONDS}`);
  }
  const maxAge = idp.maxAssertionAgeSeconds ?? DEFAULT_MAX_ASSERTION_AGE_SECONDS;
  checkSeconds(maxAge, ASSERTION_AGE_SECONDS, `${path}.maxAssertionAgeSeconds`);
  if (idp.maxAuthnAgeSeconds !== undefined) checkSeconds(idp.maxAuthnAgeSeconds, AUTHN_AGE_SECONDS, `${path}.maxAuthnAgeSeconds`);
  if (!SUBJECT_SOURCES.includes(idp.subjectSource)) {
    throw new SamlConfigError(`${path}.subjectSource`, `must be one of ${SUBJECT_SOURCES.join(', ')}`);
  }
  if (md.ssoRedirectUrl !== undefined) assertServiceUrl(md.ssoRedirectUrl, `${path}.metadata.ssoRedirectUrl`);
  const scopes = [...(md.scopes ?? []), ...(idp.scopes ?? [])];
  if (scopes.length === 0 && idp.subjectSource !== 'persistent-nameid') {
    // Every login would be refused (scope_violation): say so at start, where the fix is.
    throw new SamlConfigError(`${path}.scopes`, `subject source ${idp.subjectSource} is scoped, but the IdP's metadata has no <shibmd:Scope>: list the scopes it may assert`);
  }
  return {
    settings: idp,
    id: idp.id,
    entityId: md.entityId,
    certsPem: [...md.signingCertsPem],
    skewMs: skew * 1000,
    maxAgeMs: maxAge * 1000,
    maxAuthnAgeMs: idp.maxAuthnAgeSeconds === undefined ? null : idp.maxAuthnAgeSeconds * 1000,
    scopeAllowed: compileScopes(scopes, `${path}.scopes`),
    attributeMap: compileAttributeMap(idp.attributeMap, `${path}.attributeMap`),
    claimRules: idp.claimRules ?? NO_CLAIM_RULES,
  };
}

/** Resolves every IdP and insists on unique ids and entityIDs. */
export function resolveIdps(idps: readonly IdpSettings[]): ResolvedIdp[] {
  if (!Array.isArray(idps) || idps.length === 0) throw new SamlConfigError('idps', 'at least one IdP is required');
  const byId = new Set<string>();
  const byEntity = new Set<string>();
  return idps.map((idp, i) => {
    const r = resolveIdp(idp, `idps[${i}]`);
    if (byId.has(r.id)) throw new SamlConfigError(`idps[${i}].id`, `duplicate id ${r.id}`);
    if (byEntity.has(r.entityId)) throw new SamlConfigError(`idps[${i}].metadata.entityId`, `duplicate entityID ${r.entityId}`);
    byId.add(r.id);
    byEntity.add(r.entityId);
    return r;
  });
}
