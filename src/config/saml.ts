import { z } from 'zod';
import { claimRulesSchema } from './claim-rules.js';
import { filePath, id } from './primitives.js';

/** Where the JWT `sub` comes from. Transient NameIDs are never a subject. */
export type SubjectSource = 'pairwise-id' | 'subject-id' | 'eppn' | 'persistent-nameid';
export const SUBJECT_SOURCES: readonly SubjectSource[] = ['pairwise-id', 'subject-id', 'eppn', 'persistent-nameid'];
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_MAX_ASSERTION_AGE_SECONDS = 300;
/** Bounds of `maxAssertionAgeSeconds` and `maxAuthnAgeSeconds` (the SAML engine's settings check uses the same). */
export const ASSERTION_AGE_SECONDS = { min: 30, max: 3600 } as const;
export const AUTHN_AGE_SECONDS = { min: 60, max: 30 * 86_400 } as const;

/** Our SAML service provider. Its key pairs live in `keys_dir` (generated on first start, never committed). */
export const samlSpSchema = z
  .strictObject({
    /** SP entityID; default `<issuer>/saml/metadata` (the metadata URL, a common convention). */
    entity_id: z.string().min(1).max(1024).optional(),
    /** Folder for the SP signing and encryption key pairs (PEM, keys mode 0600). */
    keys_dir: filePath.default('./certs'),
    /** Largest decoded SAMLResponse accepted, bytes. */
    max_response_bytes: z.number().int().min(16 * 1024).max(4 * 1024 * 1024).default(DEFAULT_MAX_RESPONSE_BYTES),
    /** How long a started login may take at the IdP before its AuthnRequest is forgotten. */
    login_ttl_seconds: z.number().int().min(60).max(3600).default(600),
    /** Shown in our SP metadata (REFEDS/eduGAIN registration wants these). */
    display_name: z.string().max(200).optional(),
    organization: z.strictObject({ name: z.string(), display_name: z.string(), url: z.url() }).optional(),
    contacts: z
      .array(z.strictObject({ type: z.enum(['technical', 'support', 'administrative', 'security']), given_name: z.string(), email: z.email() }))
      .default([]),
  })
  .prefault({});

const location = z.union([
  z.strictObject({ file: filePath }),
  z.strictObject({ url: z.url({ protocol: /^https?$/ }), timeout_ms: z.number().int().min(100).max(60_000).default(5000) }),
]);

/** Where an IdP's metadata comes from: a file, a URL, or a signed federation aggregate filtered by entityID. */
const metadataSource = z.union([
  z.strictObject({ file: filePath, entity_id: z.string().optional() }),
  z.strictObject({ url: z.url({ protocol: /^https?$/ }), timeout_ms: z.number().int().min(100).max(60_000).default(5000), entity_id: z.string().optional() }),
  z.strictObject({ aggregate: location, pinned_cert_file: filePath, entity_id: z.string().min(1) }),
]);

export const idpSchema = z.strictObject({
  id,
  name: z.string().max(200).optional(),
  metadata: metadataSource,
  /**
   * Which signature must cover the identity: `response` (Shibboleth: a signed Response around an encrypted
   * assertion), `assertion` (ADFS, Entra ID), or `both` (SimpleSAMLphp). No default: say what your IdP does.
   */
  signed: z.enum(['response', 'assertion', 'both']),
  /** IdP-initiated (unsolicited) responses; refused unless true. */
  allow_unsolicited: z.boolean().default(false),
  /** Accept AES-CBC encrypted assertions (SimpleSAMLphp 1.x, old Shibboleth); only with a signed Response. */
  allow_cbc_encryption: z.boolean().default(false),
  /** Leeway for NotBefore, NotOnOrAfter and IssueInstant against our clock. */
  clock_skew_seconds: z.number().int().min(0).max(MAX_CLOCK_SKEW_SECONDS).default(DEFAULT_CLOCK_SKEW_SECONDS),
  /** Oldest Assertion IssueInstant accepted (plus the skew): a stale assertion is refused even inside its validity window. */
  max_assertion_age_seconds: z.number().int().min(ASSERTION_AGE_SECONDS.min).max(ASSERTION_AGE_SECONDS.max).default(DEFAULT_MAX_ASSERTION_AGE_SECONDS),
  /** Oldest AuthnInstant accepted (plus the skew); unset: no cap, since IdP SSO sessions keep it hours old. */
  max_authn_age_seconds: z.number().int().min(AUTHN_AGE_SECONDS.min).max(AUTHN_AGE_SECONDS.max).optional(),
  /** SAML attribute Name → claim name, merged over the eduPerson/SCHAC/subject-id defaults. */
  attribute_map: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a claim name of [A-Za-z0-9_]')).default({}),
  /** Claims computed from the mapped ones (README "Claim rules"): `NAME: { from, extract, strip_scope, lower, pick }` or `{ cel, pick }`. */
  claim_rules: claimRulesSchema,
  /**
   * Scopes this IdP may assert (eppn@scope, subject-id), added to the metadata's `<shibmd:Scope>`. Needed for
   * IdPs whose metadata publishes none (ADFS, Entra ID, SimpleSAMLphp): scoped values outside them are dropped.
   */
  scopes: z.array(z.strictObject({ value: z.string().min(1).max(255), regexp: z.boolean().default(false) })).default([]),
  /** Where `sub` comes from; transient NameIDs never become `sub`. */
  subject: z.strictObject({ source: z.enum(SUBJECT_SOURCES as [string, ...string[]]) }),
});

export type IdpConfig = z.infer<typeof idpSchema>;
export type SamlSpConfig = z.infer<typeof samlSpSchema>;
