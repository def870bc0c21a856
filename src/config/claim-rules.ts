import { z } from 'zod';
import { ExpressionError } from '../claims/expression.js';
import { ClaimRuleError, compileClaimRules, compileCondition } from '../claims/rules.js';
import { claimName } from './primitives.js';

/**
 * Claim rules (README "Claim rules"), per IdP and per survey: `NAME: { from: CLAIM, extract?, strip_scope?,
 * lower?, pick? }` or `NAME: { cel: EXPRESSION, pick? }`. Their expressions are compiled and type-checked here,
 * at load, so a mistake names its config path and its line and column.
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

/** Compiles every rule set and CEL condition of the config; each problem becomes an issue at its own path. */
export function checkClaimExpressions(
  cfg: { idps: { claim_rules: Record<string, z.infer<typeof claimRule>> }[]; surveys: { claim_rules: Record<string, z.infer<typeof claimRule>>; require: unknown }[] },
  ctx: z.RefinementCtx,
): void {
  const rules = (specs: Record<string, z.infer<typeof claimRule>>, path: (string | number)[]) => {
    for (const [name, spec] of Object.entries(specs)) {
      try {
        compileClaimRules({ [name]: spec });
      } catch (err) {
        if (!(err instanceof ClaimRuleError)) throw err;
        ctx.addIssue({ code: 'custom', path: [...path, ...err.field.split('.')], message: err.message });
      }
    }
  };
  cfg.idps.forEach((idp, i) => rules(idp.claim_rules, ['idps', i, 'claim_rules']));
  cfg.surveys.forEach((survey, i) => {
    rules(survey.claim_rules, ['surveys', i, 'claim_rules']);
    if (typeof survey.require !== 'string') return;
    try {
      compileCondition(survey.require);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['surveys', i, 'require'], message: err.message });
    }
  });
}
