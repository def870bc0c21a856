/**
 * Typed errors of the SAML engine. Every library error (node-saml, xml-crypto, xml-encryption, xmldom)
 * is translated into one of these at the module boundary, with the original kept as `cause`
 * (house style §7.3). Callers switch on `reason` / `code`, never on message text.
 */

/**
 * Why a SAML message (Response at the ACS, or a bare bearer Assertion) was refused. Closed union: the audit
 * row's `reason` starts with one of these (`samlRefusalText`), and the refusal metric is labelled with it.
 */
export const SAML_REFUSAL_REASONS = [
  // the ACS POST itself, before the message is decoded
  'content_type_unsupported',
  'saml_response_missing',
  'form_malformed',
  // transport / encoding (before any XML parsing); too_large also for an ACS body over its cap
  'malformed_base64',
  'too_large',
  'not_utf8',
  'doctype_forbidden',
  'xml_malformed',
  'timestamp_malformed',
  // routing
  'unknown_idp',
  'unknown_issuer',
  // signature and crypto policy
  'signature_missing',
  'signature_invalid',
  'algorithm_forbidden',
  'encryption_algorithm_forbidden',
  'decryption_failed',
  // structure
  'multiple_assertions',
  'assertion_missing',
  'status_not_success',
  // SAML Web SSO profile checks on the signed assertion
  'issuer_mismatch',
  'audience_mismatch',
  'recipient_mismatch',
  'destination_mismatch',
  'no_bearer_confirmation',
  'not_yet_valid',
  'expired',
  // IssueInstant older than the IdP's cap (a stale assertion still inside its validity window)
  'assertion_too_old',
  // AuthnInstant older than the IdP's optional cap (the user's sign-in at the IdP is too old)
  'authn_too_old',
  'in_response_to_mismatch',
  // the answer to a pending login of this browser came after the login expired (login_ttl)
  'login_expired',
  'unsolicited',
  'authn_statement_missing',
  'name_qualifier_mismatch',
  'replayed',
  // identity
  'subject_missing',
  'scope_violation',
  'attribute_duplicated',
  // a library error we could not classify (detail carries its message)
  'response_invalid',
] as const;

export type SamlRefusalReason = (typeof SAML_REFUSAL_REASONS)[number];

/**
 * A refused SAML message. `reason` is the stable code for audit and the HTTP mapping;
 * `detail` is private (logs/audit only, never sent to the browser or client).
 */
export class SamlRefusal extends Error {
  override readonly name = 'SamlRefusal';
  constructor(
    readonly reason: SamlRefusalReason,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `SAML refused (${reason}): ${detail}` : `SAML refused (${reason})`, options);
  }
}

/**
 * The one format of a SAML refusal in an audit row: the closed reason, then the private detail (the audit
 * boundary cuts an over-long one visibly, like any reason).
 */
export function samlRefusalText(reason: SamlRefusalReason, detail?: string): string {
  return detail ? `${reason}: ${detail}` : reason;
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(SAML_REFUSAL_REASONS);

/** The closed reason an audit `reason` written by `samlRefusalText` starts with; undefined for anything else. */
export function samlRefusalReasonOf(text: string | undefined): SamlRefusalReason | undefined {
  const code = text?.split(':', 1)[0];
  return code !== undefined && KNOWN_REASONS.has(code) ? (code as SamlRefusalReason) : undefined;
}

/** Thrown at construction time for settings that would make the engine unsafe or unusable. */
export class SamlConfigError extends Error {
  override readonly name = 'SamlConfigError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}

export const SAML_METADATA_ERROR_CODES = [
  'metadata_malformed',
  'metadata_entity_not_found',
  'metadata_not_idp',
  'metadata_no_signing_key',
  'metadata_weak_key',
  'metadata_signature_missing',
  'metadata_signature_invalid',
  'metadata_algorithm_forbidden',
  'metadata_expired',
  'metadata_validity_missing',
  'metadata_fetch_failed',
  'metadata_too_large',
  'metadata_insecure_url',
] as const;

export type SamlMetadataErrorCode = (typeof SAML_METADATA_ERROR_CODES)[number];

/** IdP metadata that cannot be trusted or used. Raised at load time, never during a login. */
export class SamlMetadataError extends Error {
  override readonly name = 'SamlMetadataError';
  constructor(
    readonly code: SamlMetadataErrorCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
  }
}

/**
 * Internal: wraps an error that is the caller's (a throwing `resolveRequestId`, a bad argument), so the
 * "unexpected error while judging input → refusal" net in `service-provider.ts` lets it through unchanged.
 */
export class CallerFault extends Error {
  override readonly name = 'CallerFault';
  constructor(readonly inner: unknown) {
    super('caller fault');
  }
}
