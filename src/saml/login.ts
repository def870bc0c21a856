/**
 * The common tail of both entry points (ACS Response and bare bearer assertion): profile checks on the
 * signed assertion and attribute mapping (`prepareLogin`, pure), then the one-time replay record
 * (`commitLogin`) — in that order, so a refused assertion never burns its ID and an accepted one is
 * recorded exactly once.
 */
import type { AssertionModel } from './assertion-model.js';
import { mapIdentity } from './attributes.js';
import { checkAssertion, type AssertionExpectations } from './checks.js';
import type { ResolvedIdp } from './config-check.js';
import { SamlRefusal } from './errors.js';
import type { AssertionReplayStore, SamlLogin } from './types.js';

export interface PrepareInput {
  assertion: AssertionModel;
  expectations: AssertionExpectations;
  idp: ResolvedIdp;
  spEntityId: string;
}

/** A login that passed every check and only awaits its replay record. */
export interface PreparedLogin {
  login: SamlLogin;
  /** Replay-record expiry: the last instant the assertion could still be accepted (NotOnOrAfter + skew). */
  keepUntil: Date;
}

export function prepareLogin({ assertion, expectations, idp, spEntityId }: PrepareInput): PreparedLogin {
  const checked = checkAssertion(assertion, expectations);
  const identity = mapIdentity(assertion, {
    idpEntityId: idp.entityId,
    spEntityId,
    scopeAllowed: idp.scopeAllowed,
    attributeMap: idp.attributeMap,
    subjectSource: idp.settings.subjectSource,
  });
  // The IdP's claim rules run on what the attribute map produced (scope checks already done), on every path.
  const ruled = idp.claimRules.apply(identity.claims, { subject: identity.subject, idp: idp.id });
  const dropped = [...identity.dropped, ...ruled.failures.map((f) => ({ attribute: f.claim, reason: 'rule_failed' as const, detail: f.detail }))];

  const authn = assertion.authnStatements[0];
  const login: SamlLogin = {
    idpId: idp.id,
    idpEntityId: idp.entityId,
    assertionId: assertion.id,
    subject: identity.subject,
    subjectSource: idp.settings.subjectSource,
    issueInstant: assertion.issueInstant,
    notOnOrAfter: checked.notOnOrAfter,
    claims: ruled.claims,
    dropped,
  };
  if (assertion.nameId) {
    login.nameId = { value: assertion.nameId.value };
    if (assertion.nameId.format) login.nameId.format = assertion.nameId.format;
  }
  if (authn) {
    login.authnInstant = authn.authnInstant;
    if (authn.sessionIndex) login.sessionIndex = authn.sessionIndex;
    if (authn.classRef) login.authnContextClassRef = authn.classRef;
    if (authn.sessionNotOnOrAfter) login.sessionNotOnOrAfter = authn.sessionNotOnOrAfter;
  }
  // Profiles §4.1.4.5: remember the ID at least as long as the assertion could still be accepted.
  return { login, keepUntil: new Date(checked.notOnOrAfter.getTime() + idp.skewMs) };
}

/**
 * Records the assertion ID once. A store failure propagates as-is (not a refusal): the login then fails
 * closed as a server error instead of being accepted without its replay record.
 */
export async function commitLogin(prepared: PreparedLogin, replay: AssertionReplayStore): Promise<SamlLogin> {
  const { login, keepUntil } = prepared;
  const fresh = await replay.rememberOnce(login.idpEntityId, login.assertionId, keepUntil);
  if (!fresh) throw new SamlRefusal('replayed', 'assertion ID already used');
  return login;
}
