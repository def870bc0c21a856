import { z } from 'zod';
import { ExpressionError } from '../claims/expression.js';
import { compileClaimRules, compileCondition, type ClaimRules, type Condition } from '../claims/rules.js';
import { claimName } from './primitives.js';

/**
 * Claim rules (README "Claim rules"), per IdP and per survey: `NAME: { from: CLAIM, extract?, strip_scope?,
 * lower?, pick? }` or `NAME: { cel: EXPRESSION, pick? }`. Their expressions are compiled and type-checked here,
 * at load, so a mistake names its config path and its line and column; the features use what was compiled.
 */
const claimRule = z.strictObject({
  /** Shorthand: the claim (of the attribute map) the values come from. */
  from: claimName.optional(),
  /** Shorthand: keep the first capture group of this RE2 regular expression (values that do not match are dropped). */
  extract: z.string().min(1).max(500).optional(),
  /** Shorthand: drop `@scope` (eduPersonScopedAffiliation `student@example.org` → `student`). */
  strip_scope: z.boolean().optional(),
  /** Shorthand: ASCII lower-case. */
  lower: z.boolean().optional(),
  /** A CEL expression over `claims`, `subject` and `idp` giving a string or a list of strings. */
  cel: z.string().min(1).max(2000).optional(),
  /** `all` values (a list claim, the default), the `first`, or the only `one` (none when there are several). */
  pick: z.enum(['all', 'first', 'one']).optional(),
});

export const claimRulesSchema = z.record(claimName, claimRule).default({});

/** A survey's `require`: any-of values per claim, or a CEL condition. */
export const surveyRequireSchema = z.union([z.record(claimName, z.array(z.string().min(1)).min(1)), z.string().min(1).max(2000)]).default({});

type ClaimRuleSpecs = Record<string, z.infer<typeof claimRule>>;

/**
 * Where a parsed IdP or survey keeps what was compiled from it. A symbol, so that the config stays the document
 * it was: hashed into the `config.load` audit row, and written back as YAML by the CLI tests, without it.
 */
export const COMPILED = Symbol('compiled claim expressions');

interface CompiledIdpRules {
  readonly [COMPILED]: { claimRules: ClaimRules };
}

interface CompiledSurveyExpressions {
  /** `condition`: the `require` written as CEL (none for the any-of form). */
  readonly [COMPILED]: { claimRules: ClaimRules; condition: Condition | undefined };
}

/**
 * Compiles every rule set and CEL condition of the config, the one time they are compiled: each problem becomes an
 * issue at its own path, and each IdP and survey carries what was compiled from it (under `COMPILED`). A set that
 * lost a rule to an issue is never used: the parse fails.
 */
export function compileClaimExpressions<Idp extends { claim_rules: ClaimRuleSpecs }, Survey extends { claim_rules: ClaimRuleSpecs; require: unknown }>(
  cfg: { idps: Idp[]; surveys: Survey[] },
  ctx: z.RefinementCtx,
): { idps: (Idp & CompiledIdpRules)[]; surveys: (Survey & CompiledSurveyExpressions)[] } {
  const ruleSet = (specs: ClaimRuleSpecs, path: (string | number)[]): ClaimRules =>
    compileClaimRules(specs, (err) => ctx.addIssue({ code: 'custom', path: [...path, ...err.field.split('.')], message: err.message }));
  const condition = (require: unknown, path: (string | number)[]): Condition | undefined => {
    if (typeof require !== 'string') return undefined;
    try {
      return compileCondition(require);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      ctx.addIssue({ code: 'custom', path, message: err.message });
      return undefined;
    }
  };
  const idps = cfg.idps.map((idp, i) => ({ ...idp, [COMPILED]: { claimRules: ruleSet(idp.claim_rules, ['idps', i, 'claim_rules']) } }));
  const surveys = cfg.surveys.map((survey, i) => ({
    ...survey,
    [COMPILED]: { claimRules: ruleSet(survey.claim_rules, ['surveys', i, 'claim_rules']), condition: condition(survey.require, ['surveys', i, 'require']) },
  }));
  return { idps, surveys };
}
