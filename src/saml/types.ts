/** Public types of the SAML SP engine (what routes and the token endpoint see). */
import type { Claims, DroppedValue } from './attributes.js';
import type { Clock } from '../core/clock.js';
import type { SubjectSource } from './settings.js';

/**
 * One-time memory of assertion IDs (SAML profiles §4.1.4.5: an assertion MUST NOT be accepted twice).
 * Must be atomic across instances: `INSERT … ON CONFLICT DO NOTHING` and check the change count.
 * Never "check then insert".
 */
export interface AssertionReplayStore {
  /** Records (idpEntityId, assertionId) until `expiresAt`; resolves `false` if it was already recorded. */
  rememberOnce(idpEntityId: string, assertionId: string, expiresAt: Date): Promise<boolean>;
}

export interface SamlEngineDeps {
  clock: Clock;
  replay: AssertionReplayStore;
}

/** The result of a fully validated login (browser SSO) or bearer assertion (RFC 7522 / RFC 8693 saml2). */
export interface SamlLogin {
  idpId: string;
  idpEntityId: string;
  /** Signed Assertion/@ID (already recorded in the replay store). Hash it before logging/auditing. */
  assertionId: string;
  /**
   * Stable, globally unique subject from `subjectSource`: pairwise-id / subject-id / eppn lower-cased
   * (their scope was checked against this IdP's scopes), or `idpEntityId!spEntityId!value` for a
   * persistent NameID. Never a transient NameID.
   */
  subject: string;
  subjectSource: SubjectSource;
  nameId?: { value: string; format?: string };
  sessionIndex?: string;
  authnInstant?: Date;
  authnContextClassRef?: string;
  issueInstant: Date;
  /** Earliest of the bearer SubjectConfirmationData and Conditions NotOnOrAfter: cap token lifetimes with it. */
  notOnOrAfter: Date;
  sessionNotOnOrAfter?: Date;
  /** Mapped attributes (allow-listed by the IdP's attribute map). Prototype-free object. */
  claims: Claims;
  /** Attribute values dropped by policy (bad scope, bad syntax …), for the audit row. */
  dropped: DroppedValue[];
}

export interface LoginRequest {
  /** The IdP's SSO URL with SAMLRequest (deflated), RelayState, SigAlg and Signature (HTTP-Redirect binding). */
  redirectUrl: string;
  /** AuthnRequest/@ID: bind it to the browser, pass it back as `expected.requestId` at the ACS. */
  requestId: string;
}

/**
 * Which AuthnRequest the Response must answer (SAML profiles §4.1.4.2: InResponseTo binds the answer
 * to the request; bind the request ID to the browser that started the login). Either:
 * - `{ requestId }`: the pending request of this browser, or `null` when none is pending (unsolicited);
 * - `{ resolveRequestId }`: called once with the message's UNVERIFIED InResponseTo (Response/@InResponseTo,
 *   else that of a plain assertion's SubjectConfirmationData; `null` if absent) and returns the pending
 *   request ID bound to this browser, or `null`. The engine then requires the SIGNED InResponseTo to equal
 *   what was returned; a message carrying an InResponseTo that resolves to `null` is refused as
 *   `in_response_to_mismatch`, one carrying none follows the unsolicited rules.
 */
export type ExpectedRequest =
  | { requestId: string | null }
  | { resolveRequestId(inResponseTo: string | null): string | null | Promise<string | null> };

export interface SamlServiceProvider {
  /** Our SP metadata (EntityDescriptor), for GET /saml/metadata. */
  metadataXml(): string;
  idpIds(): string[];
  createLoginRequest(idpId: string, relayState?: string): Promise<LoginRequest>;
  /** HTTP-POST binding at the ACS (see `ExpectedRequest`). */
  validatePostResponse(samlResponseB64: string, expected: ExpectedRequest): Promise<SamlLogin>;
  /** RFC 7522 §3 / RFC 8693 saml2 subject token: a bare signed Assertion, base64url. */
  validateBearerAssertion(assertionB64url: string, expected: { recipient: string }): Promise<SamlLogin>;
}
