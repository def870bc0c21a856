/**
 * Pure SAML Web SSO profile checks (SAML profiles §4.1.4.2–4.1.4.5, RFC 7522 §3) on an assertion read
 * from SIGNED bytes. No I/O, no wall clock: `now` is an argument (house style §7.4). node-saml does not
 * do most of these (gaps G1–G5, G9): Recipient, Destination, Issuer, bearer method, SCD times,
 * Status, and it reads the wall clock for the rest.
 */
import type { AssertionModel, SubjectConfirmationModel } from './assertion-model.js';
import { CM_BEARER, NAMEID_ENTITY, SAML_VERSION, STATUS_SUCCESS } from './constants.js';
import { SamlRefusal, type SamlRefusalReason } from './errors.js';

/** How InResponseTo is judged: bound to one request, IdP-initiated (must be absent), or not at all (RFC 7522). */
export type InResponseToRule = { mode: 'solicited'; requestId: string } | { mode: 'unsolicited' } | { mode: 'ignore' };

export interface AssertionExpectations {
  idpEntityId: string;
  /** Our SP entityID. */
  audience: string;
  /** ACS URL (browser SSO) or token endpoint URL (RFC 7522). Exact string comparison. */
  recipient: string;
  inResponseTo: InResponseToRule;
  requireAuthnStatement: boolean;
  skewMs: number;
  /** Oldest IssueInstant accepted (before the skew), ms. */
  maxAgeMs: number;
  /** Oldest AuthnInstant accepted (before the skew), ms; null: no cap. */
  maxAuthnAgeMs: number | null;
  /**
   * When the assertion is judged: now, or (`claims preview` of a saved response only) as at its own IssueInstant,
   * so its windows and ages are judged as if it had just arrived.
   */
  now: Date | typeof AT_ISSUE_INSTANT;
}

export const AT_ISSUE_INSTANT = 'at-issue-instant';

export interface CheckedAssertion {
  /** The earliest of the bearer SCD NotOnOrAfter and Conditions/@NotOnOrAfter. */
  notOnOrAfter: Date;
  confirmation: SubjectConfirmationModel;
}

function refuse(reason: SamlRefusalReason, detail: string): never {
  throw new SamlRefusal(reason, detail);
}

function checkWindow(label: string, now: number, skewMs: number, notBefore?: Date, notOnOrAfter?: Date): void {
  if (notBefore && now + skewMs < notBefore.getTime()) refuse('not_yet_valid', `${label} NotBefore ${notBefore.toISOString()}`);
  if (notOnOrAfter && now - skewMs >= notOnOrAfter.getTime()) refuse('expired', `${label} NotOnOrAfter ${notOnOrAfter.toISOString()}`);
}

/** An instant older than `maxAgeMs` plus the skew refuses, even inside the assertion's validity window. */
function checkAge(label: string, instant: Date, now: number, skewMs: number, maxAgeMs: number, reason: SamlRefusalReason): void {
  if (now - instant.getTime() > maxAgeMs + skewMs) {
    refuse(reason, `${label} ${instant.toISOString()} is more than ${maxAgeMs / 1000} s (+ ${skewMs / 1000} s skew) old`);
  }
}

/** One bearer SubjectConfirmation against the expectations; throws the first failure. */
function checkBearer(sc: SubjectConfirmationModel, exp: AssertionExpectations, now: number): void {
  if (!sc.hasData) refuse('no_bearer_confirmation', 'bearer SubjectConfirmation without SubjectConfirmationData');
  if (sc.recipient !== exp.recipient) refuse('recipient_mismatch', `Recipient ${JSON.stringify(sc.recipient ?? null)}`);
  // Profiles §4.1.4.2: the bearer SubjectConfirmationData MUST carry NotOnOrAfter.
  if (!sc.notOnOrAfter) refuse('no_bearer_confirmation', 'bearer SubjectConfirmationData without NotOnOrAfter');
  checkWindow('SubjectConfirmationData', now, exp.skewMs, sc.notBefore, sc.notOnOrAfter);
  const rule = exp.inResponseTo;
  if (rule.mode === 'solicited' && sc.inResponseTo !== rule.requestId) {
    refuse('in_response_to_mismatch', sc.inResponseTo === undefined ? 'SubjectConfirmationData has no InResponseTo' : 'InResponseTo is not the pending request');
  }
  if (rule.mode === 'unsolicited' && sc.inResponseTo !== undefined) {
    refuse('in_response_to_mismatch', 'unsolicited login carries an InResponseTo');
  }
}

/** All assertion-level checks. Returns the confirmation used and the effective expiry. */
export function checkAssertion(a: AssertionModel, exp: AssertionExpectations): CheckedAssertion {
  const now = exp.now === AT_ISSUE_INSTANT ? a.issueInstant.getTime() : exp.now.getTime();
  if (a.issuer !== exp.idpEntityId) refuse('issuer_mismatch', `Assertion Issuer ${JSON.stringify(a.issuer)}`);
  if (a.issuerFormat !== undefined && a.issuerFormat !== NAMEID_ENTITY) refuse('issuer_mismatch', `Issuer Format ${a.issuerFormat}`);
  if (now + exp.skewMs < a.issueInstant.getTime()) refuse('not_yet_valid', `IssueInstant ${a.issueInstant.toISOString()} is in the future`);

  const c = a.conditions;
  if (!c) refuse('audience_mismatch', 'assertion has no Conditions');
  checkWindow('Conditions', now, exp.skewMs, c.notBefore, c.notOnOrAfter);
  if (c.audienceRestrictions.length === 0) refuse('audience_mismatch', 'no AudienceRestriction');
  // Core §2.5.1.4: several AudienceRestrictions are ANDed; each must name us.
  for (const audiences of c.audienceRestrictions) {
    if (!audiences.includes(exp.audience)) refuse('audience_mismatch', `Audience ${JSON.stringify(audiences)}`);
  }

  const bearers = a.subjectConfirmations.filter((sc) => sc.method === CM_BEARER);
  if (bearers.length === 0) refuse('no_bearer_confirmation', a.subjectConfirmations.length ? 'no bearer SubjectConfirmation' : 'no SubjectConfirmation');
  let firstFailure: unknown;
  let confirmation: SubjectConfirmationModel | undefined;
  for (const sc of bearers) {
    try {
      checkBearer(sc, exp, now);
      confirmation = sc;
      break;
    } catch (err) {
      firstFailure ??= err;
    }
  }
  if (!confirmation) throw firstFailure;
  // After the validity windows, so an expired assertion is reported as such; this catches a stale one that
  // its IdP (or an attacker holding it) made valid for longer than a login takes.
  checkAge('IssueInstant', a.issueInstant, now, exp.skewMs, exp.maxAgeMs, 'assertion_too_old');

  if (a.nameId?.spNameQualifier !== undefined && a.nameId.spNameQualifier !== exp.audience) {
    refuse('name_qualifier_mismatch', `NameID SPNameQualifier ${JSON.stringify(a.nameId.spNameQualifier)}`);
  }
  if (a.authnStatements.length > 1) refuse('xml_malformed', 'more than one AuthnStatement');
  const authn = a.authnStatements[0];
  if (exp.requireAuthnStatement && !authn) refuse('authn_statement_missing', 'Web SSO assertion without AuthnStatement');
  if (authn) {
    if (now + exp.skewMs < authn.authnInstant.getTime()) refuse('not_yet_valid', 'AuthnInstant is in the future');
    checkWindow('AuthnStatement/@Session', now, exp.skewMs, undefined, authn.sessionNotOnOrAfter);
    if (exp.maxAuthnAgeMs !== null) checkAge('AuthnInstant', authn.authnInstant, now, exp.skewMs, exp.maxAuthnAgeMs, 'authn_too_old');
  }

  const scdExpiry = confirmation.notOnOrAfter as Date;
  const notOnOrAfter = c.notOnOrAfter && c.notOnOrAfter < scdExpiry ? c.notOnOrAfter : scdExpiry;
  return { notOnOrAfter, confirmation };
}

/** What we read from the Response root (from its signed bytes when it is signed). */
export interface ResponseEnvelope {
  signed: boolean;
  version?: string;
  issuer?: string;
  issuerFormat?: string;
  destination?: string;
  inResponseTo?: string;
  statusCode?: string;
}

export interface ResponseExpectations {
  idpEntityId: string;
  acsUrl: string;
  inResponseTo: Exclude<InResponseToRule, { mode: 'ignore' }>;
}

/**
 * Response-level checks. Values of an unsigned Response are unauthenticated: here they can only add
 * refusals (a present-but-wrong Destination/InResponseTo/Status still refuses); acceptance always
 * rests on the signed assertion checks.
 */
export function checkResponseEnvelope(env: ResponseEnvelope, exp: ResponseExpectations): void {
  if (env.version !== SAML_VERSION) refuse('xml_malformed', 'Response Version is not 2.0');
  if (env.statusCode !== STATUS_SUCCESS) refuse('status_not_success', `StatusCode ${JSON.stringify(env.statusCode ?? null)}`);
  if (env.issuer !== undefined && env.issuer !== exp.idpEntityId) refuse('issuer_mismatch', `Response Issuer ${JSON.stringify(env.issuer)}`);
  if (env.issuerFormat !== undefined && env.issuerFormat !== NAMEID_ENTITY) refuse('issuer_mismatch', `Issuer Format ${env.issuerFormat}`);
  // Bindings §3.5.5.2: a signed message MUST carry Destination; present ⇒ it must be our ACS.
  if (env.destination === undefined ? env.signed : env.destination !== exp.acsUrl) {
    refuse('destination_mismatch', `Destination ${JSON.stringify(env.destination ?? null)}`);
  }
  const rule = exp.inResponseTo;
  if (rule.mode === 'solicited' && env.inResponseTo !== undefined && env.inResponseTo !== rule.requestId) {
    refuse('in_response_to_mismatch', 'Response InResponseTo is not the pending request');
  }
  if (rule.mode === 'unsolicited' && env.inResponseTo !== undefined) {
    refuse('in_response_to_mismatch', 'unsolicited login carries a Response InResponseTo');
  }
}
