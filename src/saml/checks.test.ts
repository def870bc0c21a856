// Pure profile checks, table-driven with a fixed `now` (no wall clock, no XML).
import { describe, expect, it } from 'vitest';
import type { AssertionModel } from './assertion-model.js';
import { checkAssertion, checkResponseEnvelope, type AssertionExpectations, type ResponseEnvelope } from './checks.js';
import { CM_BEARER, STATUS_SUCCESS } from './constants.js';
import { SamlRefusal, type SamlRefusalReason } from './errors.js';

const NOW = new Date('2030-01-01T12:00:00Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000);
const IDP = 'https://idp.univ.edu/idp/shibboleth';
const SP = 'https://sts.univ.edu/saml/metadata';
const ACS = 'https://sts.univ.edu/saml/acs';

const base = (): AssertionModel => ({
  id: '_a1',
  issueInstant: at(-5),
  issuer: IDP,
  nameId: { value: 'x', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', spNameQualifier: SP },
  subjectConfirmations: [{ method: CM_BEARER, hasData: true, recipient: ACS, notOnOrAfter: at(300), inResponseTo: '_req' }],
  conditions: { notBefore: at(-5), notOnOrAfter: at(240), audienceRestrictions: [[SP]] },
  authnStatements: [{ authnInstant: at(-10), sessionIndex: '_s' }],
  attributes: [],
});
const exp = (over: Partial<AssertionExpectations> = {}): AssertionExpectations => ({
  idpEntityId: IDP, audience: SP, recipient: ACS, inResponseTo: { mode: 'solicited', requestId: '_req' },
  requireAuthnStatement: true, skewMs: 60_000, maxAgeMs: 300_000, maxAuthnAgeMs: null, now: NOW, ...over,
});

function outcome(fn: () => unknown): SamlRefusalReason | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof SamlRefusal) return err.reason;
    throw err;
  }
}

type Edit = (a: AssertionModel) => void;
const sc = (a: AssertionModel) => a.subjectConfirmations[0] as AssertionModel['subjectConfirmations'][number];

describe('checkAssertion', () => {
  it('returns the earliest NotOnOrAfter and the confirmation used', () => {
    const r = checkAssertion(base(), exp());
    expect(r.notOnOrAfter).toEqual(at(240));
    expect(r.confirmation.recipient).toBe(ACS);
  });

  it.each<[string, Edit, Partial<AssertionExpectations>, SamlRefusalReason | 'ok']>([
    ['valid', () => {}, {}, 'ok'],
    ['other issuer', (a) => { a.issuer = 'https://idp.other.edu'; }, {}, 'issuer_mismatch'],
    ['issuer format transient', (a) => { a.issuerFormat = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'; }, {}, 'issuer_mismatch'],
    ['IssueInstant beyond skew', (a) => { a.issueInstant = at(61); }, {}, 'not_yet_valid'],
    ['IssueInstant within skew', (a) => { a.issueInstant = at(59); }, {}, 'ok'],
    ['no Conditions', (a) => { delete a.conditions; }, {}, 'audience_mismatch'],
    ['no AudienceRestriction', (a) => { a.conditions!.audienceRestrictions = []; }, {}, 'audience_mismatch'],
    ['other audience', (a) => { a.conditions!.audienceRestrictions = [['https://x']]; }, {}, 'audience_mismatch'],
    ['one of several audiences', (a) => { a.conditions!.audienceRestrictions = [['https://x', SP]]; }, {}, 'ok'],
    ['second restriction without us', (a) => { a.conditions!.audienceRestrictions = [[SP], ['https://x']]; }, {}, 'audience_mismatch'],
    ['Conditions NotBefore at now + skew', (a) => { a.conditions!.notBefore = at(60); }, {}, 'ok'],
    ['Conditions NotBefore beyond skew', (a) => { a.conditions!.notBefore = at(61); }, {}, 'not_yet_valid'],
    ['Conditions NotOnOrAfter just within skew', (a) => { a.conditions!.notOnOrAfter = at(-59); }, {}, 'ok'],
    ['Conditions NotOnOrAfter = now - skew', (a) => { a.conditions!.notOnOrAfter = at(-60); }, {}, 'expired'],
    ['zero skew is exact', (a) => { a.conditions!.notOnOrAfter = at(0); }, { skewMs: 0 }, 'expired'],
    ['no SubjectConfirmation', (a) => { a.subjectConfirmations = []; }, {}, 'no_bearer_confirmation'],
    ['sender-vouches only', (a) => { sc(a).method = 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches'; }, {}, 'no_bearer_confirmation'],
    ['bearer without data', (a) => { a.subjectConfirmations = [{ method: CM_BEARER, hasData: false }]; }, {}, 'no_bearer_confirmation'],
    ['bearer without NotOnOrAfter', (a) => { delete sc(a).notOnOrAfter; }, {}, 'no_bearer_confirmation'],
    ['Recipient differs', (a) => { sc(a).recipient = 'https://sts.univ.edu/saml/acs/'; }, {}, 'recipient_mismatch'],
    ['Recipient differs in case only', (a) => { sc(a).recipient = ACS.toUpperCase(); }, {}, 'recipient_mismatch'],
    ['SCD expired', (a) => { sc(a).notOnOrAfter = at(-61); }, {}, 'expired'],
    ['SCD NotBefore in the future', (a) => { sc(a).notBefore = at(120); }, {}, 'not_yet_valid'],
    ['InResponseTo of another request', (a) => { sc(a).inResponseTo = '_other'; }, {}, 'in_response_to_mismatch'],
    ['InResponseTo missing on a solicited login', (a) => { delete sc(a).inResponseTo; }, {}, 'in_response_to_mismatch'],
    ['unsolicited with InResponseTo', () => {}, { inResponseTo: { mode: 'unsolicited' } }, 'in_response_to_mismatch'],
    ['unsolicited without InResponseTo', (a) => { delete sc(a).inResponseTo; }, { inResponseTo: { mode: 'unsolicited' } }, 'ok'],
    ['bearer token: InResponseTo ignored', (a) => { sc(a).inResponseTo = '_whatever'; }, { inResponseTo: { mode: 'ignore' } }, 'ok'],
    ['second bearer confirmation is the good one', (a) => { a.subjectConfirmations.unshift({ method: CM_BEARER, hasData: true, recipient: 'https://x', notOnOrAfter: at(300) }); }, {}, 'ok'],
    ['no good confirmation: first failure reported', (a) => { a.subjectConfirmations.push({ method: CM_BEARER, hasData: true, recipient: ACS, notOnOrAfter: at(-100) }); sc(a).recipient = 'https://x'; }, {}, 'recipient_mismatch'],
    ['SPNameQualifier of another SP', (a) => { a.nameId!.spNameQualifier = 'https://x'; }, {}, 'name_qualifier_mismatch'],
    ['no AuthnStatement (browser SSO)', (a) => { a.authnStatements = []; }, {}, 'authn_statement_missing'],
    ['no AuthnStatement (RFC 7522)', (a) => { a.authnStatements = []; }, { requireAuthnStatement: false }, 'ok'],
    ['two AuthnStatements', (a) => { a.authnStatements.push({ authnInstant: at(-1) }); }, {}, 'xml_malformed'],
    ['AuthnInstant in the future', (a) => { a.authnStatements = [{ authnInstant: at(120) }]; }, {}, 'not_yet_valid'],
    ['SessionNotOnOrAfter passed', (a) => { a.authnStatements = [{ authnInstant: at(-10), sessionNotOnOrAfter: at(-61) }]; }, {}, 'expired'],
    ['IssueInstant as old as the cap plus skew', (a) => { a.issueInstant = at(-360); }, {}, 'ok'],
    ['IssueInstant older than the cap plus skew, still inside its window', (a) => { a.issueInstant = at(-361); }, {}, 'assertion_too_old'],
    ['IssueInstant two hours old, still inside its window', (a) => { a.issueInstant = at(-7200); a.conditions!.notBefore = at(-7200); }, {}, 'assertion_too_old'],
    ['IssueInstant an hour old under a two-hour cap', (a) => { a.issueInstant = at(-3600); }, { maxAgeMs: 7_200_000 }, 'ok'],
    ['expired and too old: the window is reported', (a) => { a.issueInstant = at(-7200); a.conditions!.notOnOrAfter = at(-61); }, {}, 'expired'],
    ['AuthnInstant eight hours old, no AuthnInstant cap (IdP SSO session)', (a) => { a.authnStatements = [{ authnInstant: at(-8 * 3600) }]; }, {}, 'ok'],
    ['AuthnInstant as old as its cap plus skew', (a) => { a.authnStatements = [{ authnInstant: at(-3660) }]; }, { maxAuthnAgeMs: 3_600_000 }, 'ok'],
    ['AuthnInstant older than its cap plus skew', (a) => { a.authnStatements = [{ authnInstant: at(-3661) }]; }, { maxAuthnAgeMs: 3_600_000 }, 'authn_too_old'],
    ['AuthnInstant cap with no AuthnStatement (RFC 7522)', (a) => { a.authnStatements = []; }, { maxAuthnAgeMs: 60_000, requireAuthnStatement: false }, 'ok'],
  ])('%s', (_n, edit, over, reason) => {
    const a = base();
    edit(a);
    expect(outcome(() => checkAssertion(a, exp(over)))).toBe(reason);
  });
});

describe('checkResponseEnvelope', () => {
  const env = (over: Partial<ResponseEnvelope> = {}): ResponseEnvelope => ({
    signed: true, version: '2.0', issuer: IDP, destination: ACS, inResponseTo: '_req', statusCode: STATUS_SUCCESS, ...over,
  });
  const solicited = { idpEntityId: IDP, acsUrl: ACS, inResponseTo: { mode: 'solicited', requestId: '_req' } } as const;
  const unsolicited = { idpEntityId: IDP, acsUrl: ACS, inResponseTo: { mode: 'unsolicited' } } as const;

  it.each<[string, Partial<ResponseEnvelope>, typeof solicited | typeof unsolicited, SamlRefusalReason | 'ok']>([
    ['valid', {}, solicited, 'ok'],
    ['version 1.1', { version: '1.1' }, solicited, 'xml_malformed'],
    ['no version', { version: undefined }, solicited, 'xml_malformed'],
    ['Responder', { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }, solicited, 'status_not_success'],
    ['no Status', { statusCode: undefined }, solicited, 'status_not_success'],
    ['other Issuer', { issuer: 'https://x' }, solicited, 'issuer_mismatch'],
    ['no Issuer', { issuer: undefined }, solicited, 'ok'],
    ['Issuer format transient', { issuerFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }, solicited, 'issuer_mismatch'],
    ['Destination elsewhere', { destination: 'https://x/acs' }, solicited, 'destination_mismatch'],
    ['signed without Destination', { destination: undefined }, solicited, 'destination_mismatch'],
    ['unsigned without Destination', { destination: undefined, signed: false }, solicited, 'ok'],
    ['InResponseTo of another request', { inResponseTo: '_x' }, solicited, 'in_response_to_mismatch'],
    ['no InResponseTo (judged on the assertion)', { inResponseTo: undefined }, solicited, 'ok'],
    ['unsolicited with InResponseTo', {}, unsolicited, 'in_response_to_mismatch'],
    ['unsolicited', { inResponseTo: undefined }, unsolicited, 'ok'],
  ])('%s', (_n, over, expectations, reason) => {
    expect(outcome(() => checkResponseEnvelope(env(over), expectations))).toBe(reason);
  });
});
