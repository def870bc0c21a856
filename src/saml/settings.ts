/**
 * Plain settings types of the SAML SP engine. The config layer (zod) maps onto these; the engine
 * validates them once in `createSamlServiceProvider` and throws `SamlConfigError` naming the path.
 */

import type { ClaimRules } from '../claims/rules.js';
// The bounds the config schema enforces are defined with it (config/ is below the engines) and hold here too.
import { SUBJECT_SOURCES, type SubjectSource } from '../config/saml.js';
export {
  ASSERTION_AGE_SECONDS, AUTHN_AGE_SECONDS, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_ASSERTION_AGE_SECONDS, DEFAULT_MAX_RESPONSE_BYTES,
  MAX_CLOCK_SKEW_SECONDS,
} from '../config/saml.js';
export { SUBJECT_SOURCES, type SubjectSource };

/** Scope from `<shibmd:Scope>` in the IdP's metadata. `regexp` scopes are full-match patterns. */
export interface IdpScope {
  value: string;
  regexp: boolean;
}

/** What we take from an IdP's metadata (see `metadata.ts`). Certificates are PEM. */
export interface ParsedIdpMetadata {
  entityId: string;
  /** SingleSignOnService with the HTTP-Redirect binding; required to start SP-initiated logins. */
  ssoRedirectUrl?: string;
  /** `KeyDescriptor use="signing"` or without `use`: the ONLY keys that verify this IdP's signatures. */
  signingCertsPem: string[];
  encryptionCertsPem: string[];
  scopes: IdpScope[];
  /** `validUntil` of the metadata (the smallest one on the path to the entity), if any. */
  validUntil?: Date;
}

/** SP key material, PEM. Signing: AuthnRequests. Encryption: the IdP encrypts assertions to it. */
export interface SpKeys {
  signingKeyPem: string;
  signingCertPem: string;
  encryptionKeyPem: string;
  encryptionCertPem: string;
}

export type ContactType = 'technical' | 'support' | 'administrative' | 'security';

/** Optional extras for the published SP metadata (saml-security.md §5.5). */
export interface SpMetadataOptions {
  displayName?: string;
  description?: string;
  informationUrl?: string;
  privacyStatementUrl?: string;
  /** EntityAttribute `urn:oasis:names:tc:SAML:profiles:subject-id:req`. */
  subjectIdRequirement?: 'subject-id' | 'pairwise-id' | 'any' | 'none';
  requestedAttributes?: Array<{ name: string; friendlyName?: string; required?: boolean }>;
  contacts?: Array<{ type: ContactType; givenName: string; email: string }>;
  organization?: { name: string; displayName: string; url: string };
}

export interface SpSettings {
  entityId: string;
  /** The exact ACS URL (scheme, host, port, path) compared with Recipient and Destination. */
  acsUrl: string;
  keys: SpKeys;
  /** Cap on the decoded SAMLResponse / assertion, bytes. Default 256 KiB. */
  maxResponseBytes?: number;
  metadata?: SpMetadataOptions;
}


/**
 * Which signature must cover the identity:
 * - `response`: the Response is signed (Shibboleth default, usually around an EncryptedAssertion);
 * - `assertion`: the Assertion is signed, the Response may be unsigned (ADFS / Entra / Okta default);
 * - `both`: both signatures are required (SimpleSAMLphp default).
 */
export type SignedPart = 'response' | 'assertion' | 'both';

export interface IdpSettings {
  /** Our short id for this IdP (routes, config, audit). */
  id: string;
  metadata: ParsedIdpMetadata;
  signed: SignedPart;
  /** IdP-initiated SSO. Default false; when true, an unsolicited Response must carry no InResponseTo. */
  allowUnsolicited: boolean;
  /** Accept AES-CBC content encryption (old Shibboleth, SimpleSAMLphp 1.x). Requires `signed` ≠ `assertion`. */
  allowCbcEncryption: boolean;
  /** Allowed clock difference, seconds, 0..300 (no "-1 disables" magic). */
  clockSkewSeconds: number;
  /**
   * Oldest Assertion/@IssueInstant accepted, seconds (plus the skew). Default 300: an IdP issues the assertion
   * for the login it answers, so an older one is stale even when its NotOnOrAfter is hours away.
   */
  maxAssertionAgeSeconds?: number;
  /**
   * Oldest AuthnStatement/@AuthnInstant accepted, seconds (plus the skew); absent: no cap. AuthnInstant is when
   * the user last authenticated at the IdP, which its SSO session legitimately keeps hours old (Shibboleth,
   * SimpleSAMLphp and ADFS sessions last up to 8 h, Entra ID "stay signed in" days); a default cap would refuse
   * those logins and we send no ForceAuthn. Set it only to demand recent authentication, above the IdP's session.
   */
  maxAuthnAgeSeconds?: number;
  /** SAML attribute `Name` → claim name. Only mapped attributes become claims. */
  attributeMap: Readonly<Record<string, string>>;
  /** Claims computed from the mapped ones, applied after the attribute map: compiled by the config (claims/rules.ts). */
  claimRules?: ClaimRules;
  subjectSource: SubjectSource;
  /**
   * Scopes this IdP may assert in scoped attributes, in addition to the `<shibmd:Scope>` of its metadata.
   * Needed for IdPs whose metadata carries none (SimpleSAMLphp, ADFS, Entra ID). Without any scope, no
   * scoped value is accepted; a scoped `subjectSource` without any scope is a construction error.
   */
  scopes?: IdpScope[];
}

