import type { RuleFailure } from '../claims/rules.js';
import { COMPILED } from '../config/claim-rules.js';
import type { SurveyConfig } from '../config/schema.js';
import { bounded } from '../core/bounded.js';
import { releasedClaims } from '../core/claim-filter.js';
import type { Claims } from '../saml/attributes.js';

/**
 * Pure survey policy. `require`: every listed claim must carry at least one of the listed values
 * (any-of per claim, all claims). Returns the first unmet rule, for the refusal page and the audit row.
 */
export function unmetRequirement(require: Readonly<Record<string, readonly string[]>>, claims: Claims): { claim: string; wanted: readonly string[] } | undefined {
  for (const [claim, wanted] of Object.entries(require)) {
    const have = claims[claim];
    const values = have === undefined ? [] : Array.isArray(have) ? have : [have];
    if (!values.some((v) => wanted.includes(v))) return { claim, wanted };
  }
  return undefined;
}

/**
 * The redeem answer: a flat object of string values with keys of `[A-Za-z0-9_]` (what a Qualtrics Web Service
 * element maps into embedded data). Multi-valued claims are joined with ",".
 */
export function redeemFields(token: { jwt: string; expiresAt: Date; sub: string }, released: Claims): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(released)) fields[name] = Array.isArray(value) ? value.join(',') : value;
  return {
    ...fields,
    sub: token.sub,
    token: token.jwt,
    token_expires_at: token.expiresAt.toISOString(),
  };
}

/** Why a respondent may not launch: the audit reason, and what the refusal page says. */
export interface SurveyRefusal {
  reason: string;
  message: string;
}

/** What a survey makes of one login: its claims (the login's, with the survey's rules), admission, release. */
export interface SurveyDecision {
  claims: Claims;
  /** Absent when the respondent may launch. */
  refusal: SurveyRefusal | undefined;
  /** The claims the survey receives (its `release` list); empty when refused. */
  released: Claims;
  /** Survey rules that failed (their claims are absent). */
  failures: RuleFailure[];
}

/** The one decision of survey admission, for a launch and for `claims preview`: by the rules the config compiled. Pure. */
export function decideSurvey(survey: SurveyConfig, login: { claims: Claims; subject: string; idpId: string }): SurveyDecision {
  const context = { subject: login.subject, idp: login.idpId };
  const { claims, failures } = survey[COMPILED].claimRules.apply(login.claims, context);
  const refusal = admissionRefusal(survey, claims, context);
  return { claims, refusal, released: refusal ? {} : releasedClaims(survey.release, claims), failures };
}

function admissionRefusal(survey: SurveyConfig, claims: Claims, context: { subject: string; idp: string }): SurveyRefusal | undefined {
  const { condition } = survey[COMPILED];
  if (condition) {
    const { met, failure } = condition.test(claims, context);
    if (met) return undefined;
    return {
      reason: failure ? `survey condition failed: ${bounded(failure, 200)}` : `survey condition not met: ${bounded(condition.source, 200)}`,
      message: 'This survey is only for some respondents, and what your university told us about you does not show that you are one of them.',
    };
  }
  const unmet = unmetRequirement(survey.require as Record<string, string[]>, claims);
  if (!unmet) return undefined;
  return {
    reason: `survey requires ${unmet.claim} in [${unmet.wanted.join(', ')}]`,
    message: `This survey is only for respondents whose ${unmet.claim} is one of: ${unmet.wanted.join(', ')}.`,
  };
}
