/**
 * Claim rules (README "Claim rules"): each computes one claim from the claims so far, by a CEL expression or by a
 * shorthand that stands for one (`from` a claim, `extract` an RE2 group, `strip_scope`, `lower`), then `pick`s
 * all values (a list), the first, or the only one. A rule owns its claim: it replaces the mapped value of that
 * name, and a rule that yields nothing leaves no claim. Rules of one set see the same input, never each other.
 * Survey conditions (`require` as CEL) are bool expressions over the same variables.
 */
import { CelScalar, celType, isCelList, listType, type CelValue } from '@bufbuild/cel';
import { compileExpression, ExpressionError, type Bindings, type CompiledExpression } from './expression.js';
import { compileRegex } from './regex.js';

export type ClaimValue = string | string[];
export type ClaimValues = Record<string, ClaimValue>;

export type Pick = 'all' | 'first' | 'one';

/** A rule as configured (`idps[].claim_rules.NAME`, `surveys[].claim_rules.NAME`). */
export interface ClaimRuleSpec {
  from?: string | undefined;
  extract?: string | undefined;
  strip_scope?: boolean | undefined;
  lower?: boolean | undefined;
  cel?: string | undefined;
  pick?: Pick | undefined;
}

/** What else an expression sees besides the claims. */
export interface RuleContext {
  subject: string;
  idp: string;
}

export interface RuleFailure {
  claim: string;
  detail: string;
}

/** A rule that cannot be compiled; `field` is the rule's key at fault (`cel`, `extract` …). */
export class ClaimRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const { STRING, BOOL } = CelScalar;
const CLAIM_TYPES = { types: [STRING, listType(STRING)], what: 'a claim rule' } as const;
const CONDITION_TYPES = { types: [BOOL], what: 'a condition' } as const;
const RESERVED_CLAIMS = new Set(['sub', '__proto__', 'constructor', 'prototype']);
const cel = (text: string) => JSON.stringify(text); // a JSON string is a valid CEL string literal

/** The CEL expression a shorthand stands for (README "Claim rules"). */
export function shorthandExpression(spec: ClaimRuleSpec): string {
  let values = `(${cel(spec.from!)} in claims ? claims[${cel(spec.from!)}] : [])`;
  if (spec.extract !== undefined) values += `.map(v, v.extract(${cel(spec.extract)}))`;
  if (spec.strip_scope) values += `.map(v, v.lastIndexOf("@") < 0 ? v : v.substring(0, v.lastIndexOf("@")))`;
  if (spec.lower) values += '.map(v, v.lowerAscii())';
  return values;
}

export interface CompiledRule {
  claim: string;
  /** The expression evaluated (a shorthand's translation). */
  expression: string;
  pick: Pick;
  evaluate(bindings: Bindings): { value?: ClaimValue; failure?: string };
}

/** Empty strings and repeats dropped, in order of first appearance. */
function distinctValues(out: CelValue): string[] | string {
  if (!isCelList(out)) return `expected a string or a list of strings, got ${celType(out).name}`;
  const seen = new Set<string>();
  for (const v of out) {
    if (typeof v !== 'string') return `expected a list of strings, got an element of type ${celType(v).name}`;
    if (v !== '') seen.add(v);
  }
  return [...seen];
}

function picked(values: string[], pick: Pick): { value?: ClaimValue; failure?: string } {
  if (values.length === 0) return {};
  if (pick === 'all') return { value: values };
  if (pick === 'first' || values.length === 1) return { value: values[0]! };
  return { failure: `${values.length} values, and pick: one wants exactly one` };
}

/** Compiles one rule; throws `ClaimRuleError` naming the field at fault and, for CEL, the line and column. */
function compileClaimRule(claim: string, spec: ClaimRuleSpec): CompiledRule {
  if ((spec.cel === undefined) === (spec.from === undefined)) throw new ClaimRuleError('', 'expected exactly one of cel or from');
  const field = spec.cel !== undefined ? 'cel' : 'from';
  if (RESERVED_CLAIMS.has(claim)) throw new ClaimRuleError('', `"${claim}" cannot be computed by a rule (${claim === 'sub' ? 'the subject comes from subject.source' : 'a reserved name'})`);
  if (spec.cel !== undefined && (spec.extract !== undefined || spec.strip_scope || spec.lower)) {
    throw new ClaimRuleError('cel', 'extract, strip_scope and lower go with from, not with cel');
  }
  if (spec.extract !== undefined) {
    const { problem } = compileRegex(spec.extract);
    if (problem) throw new ClaimRuleError('extract', `not an RE2 regular expression: ${problem}`);
  }
  const expression = spec.cel ?? shorthandExpression(spec);
  let compiled: CompiledExpression;
  try {
    compiled = compileExpression(expression, CLAIM_TYPES);
  } catch (err) {
    if (err instanceof ExpressionError) throw new ClaimRuleError(field, err.message);
    throw err;
  }
  const pick = spec.pick ?? 'all';
  return {
    claim,
    expression,
    pick,
    evaluate(bindings) {
      const out = compiled.evaluate(bindings);
      if ('failure' in out) return { failure: out.failure };
      if (typeof out.value === 'string') return out.value === '' ? {} : { value: out.value };
      const values = distinctValues(out.value);
      return typeof values === 'string' ? { failure: values } : picked(values, pick);
    },
  };
}

/** The expression's view of claims: every value a list. */
function bindingsOf(claims: Readonly<ClaimValues>, context: RuleContext): Bindings {
  return { claims: new Map(Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])), ...context };
}

export interface ClaimRules {
  rules: readonly CompiledRule[];
  /** `claims` with every rule applied (a new prototype-free object), and the rules that failed. */
  apply(claims: Readonly<ClaimValues>, context: RuleContext): { claims: ClaimValues; failures: RuleFailure[] };
}

/**
 * A set of rules, compiled once. A rule that cannot be compiled is a `ClaimRuleError` with `claim` prefixed to its
 * field (`student_id.cel`): without `onError` the first is thrown; with it, each is reported and the set holds the
 * rules that compiled (the config reports every failing rule at its own path).
 */
export function compileClaimRules(specs: Readonly<Record<string, ClaimRuleSpec>>, onError?: (err: ClaimRuleError) => void): ClaimRules {
  const rules: CompiledRule[] = [];
  for (const [claim, spec] of Object.entries(specs)) {
    try {
      rules.push(compileClaimRule(claim, spec));
    } catch (err) {
      if (!(err instanceof ClaimRuleError)) throw err;
      const named = new ClaimRuleError(err.field ? `${claim}.${err.field}` : claim, err.message);
      if (!onError) throw named;
      onError(named);
    }
  }
  return {
    rules,
    apply(claims, context) {
      const out = Object.assign(Object.create(null) as ClaimValues, claims);
      const failures: RuleFailure[] = [];
      if (rules.length === 0) return { claims: out, failures };
      const bindings = bindingsOf(claims, context);
      for (const rule of rules) {
        const { value, failure } = rule.evaluate(bindings);
        if (failure) failures.push({ claim: rule.claim, detail: failure });
        if (value === undefined) delete out[rule.claim];
        else out[rule.claim] = value;
      }
      return { claims: out, failures };
    },
  };
}

export interface Condition {
  source: string;
  /** `met`, or not; `failure` when the expression itself failed (the condition then counts as not met). */
  test(claims: Readonly<ClaimValues>, context: RuleContext): { met: boolean; failure?: string };
}

/** A survey's `require` written as CEL. Throws `ExpressionError`. */
export function compileCondition(source: string): Condition {
  const compiled = compileExpression(source, CONDITION_TYPES);
  return {
    source,
    test(claims, context) {
      const out = compiled.evaluate(bindingsOf(claims, context));
      if ('failure' in out) return { met: false, failure: out.failure };
      if (typeof out.value !== 'boolean') return { met: false, failure: `expected a bool, got ${celType(out.value).name}` };
      return { met: out.value };
    },
  };
}
