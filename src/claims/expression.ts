/**
 * The one CEL evaluator of campus-sts (claim rules and survey conditions), on `@bufbuild/cel`. An expression is
 * parsed, type-checked (`check.ts`) and planned once, when the configuration is loaded; a problem names its line
 * and column. Evaluation is bounded: a budget of cost units per evaluation (every function call costs 1 plus the
 * size of what it is given, every loop turn 1); once spent, the evaluation fails. Regular expressions are RE2.
 *
 * Variables: `claims` (map(string, list(string)): the claims so far, every value a list), `subject` (the login's
 * subject) and `idp` (the IdP's id). Functions: CEL's standard ones, the strings extension (`lowerAscii`, `split`,
 * `replace`, `substring`, `join` …) and `text.extract(regex)`.
 */
import {
  CelScalar, celEnv, celFunc, celList, celMethod, isCelError, isCelList, isCelMap, listType, mapType, parse, plan, type CelEnv, type CelFunc,
  type CelList, type CelType, type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Checker, ExpressionProblem, fits, typeName } from './check.js';
import { regexExtract, regexFinds } from './regex.js';

const { BOOL, DYN, STRING } = CelScalar;
const VARIABLES = { claims: mapType(STRING, listType(STRING)), subject: STRING, idp: STRING };

/** Bounds of every expression (README "Claim rules"). */
export const EXPRESSION_LIMITS = { maxSourceChars: 2000, maxNodes: 400, maxLoopDepth: 2, maxCost: 100_000 } as const;

export interface Bindings {
  claims: ReadonlyMap<string, readonly string[]>;
  subject: string;
  idp: string;
}

/** A compile-time problem, located in the source (1-based line and column). */
export class ExpressionError extends Error {
  constructor(
    readonly problem: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`at line ${line}, column ${column}: ${problem}`);
  }
}

let budget = 0;
function spend(units: number): void {
  budget -= units;
  if (budget < 0) throw new Error(`the evaluation exceeded its budget of ${EXPRESSION_LIMITS.maxCost} cost units`);
}

const sizeOf = (v: unknown): number =>
  typeof v === 'string' ? v.length : v instanceof Uint8Array ? v.length : isCelList(v) || isCelMap(v) ? v.size : 0;
/** Joining two lists is one step (the evaluator concatenates lazily); everything else reads what it is given. */
const costOf = (f: CelFunc, values: unknown[]): number =>
  1 + (f.name === '_+_' && values.some(isCelList) ? 0 : values.reduce((n: number, v) => n + sizeOf(v), 0));

/** The same function, charging the budget before it runs (its own errors keep their message). */
function charging(f: CelFunc): CelFunc {
  const forward = (target: CelValue | undefined, args: CelValue[]) => {
    spend(costOf(f, [target, ...args]));
    const out = f.call(0, target, args);
    if (out === undefined || isCelError(out)) throw new Error(out?.message ?? `no matching overload for ${f.id}`);
    return out;
  };
  return f.target
    ? celMethod(f.name, f.target, f.arguments, f.result, function (this: CelValue, ...args: CelValue[]) {
        return forward(this, args);
      })
    : celFunc(f.name, f.arguments, f.result, (...args: CelValue[]) => forward(undefined, args));
}

/** Inserted into every comprehension: a loop spends the size of what it walks (copied first), then 1 per turn. */
const LOOP_RANGE = '@loop_range';
const LOOP_TURN = '@loop_turn';
/**
 * `map` and `filter` collect into `@result + [x]`, which the evaluator answers with nested lazy concatenations:
 * quadratic to read back, and deep enough to overflow the stack at a few thousand values. Their accumulator is a
 * fresh list per evaluation that nothing else can see, so it is grown in place instead.
 */
const ACCU_NEW = '@accu_new';
const ACCU_PUSH = '@accu_push';
const growing = new WeakMap<object, CelValue[]>();

function buildEnv(): CelEnv {
  const extract = celMethod('extract', STRING, [STRING], STRING, function (this: string, pattern: string) {
    return regexExtract(pattern, this);
  });
  const base = celEnv({ variables: VARIABLES, funcs: [...strings, extract], re2: { compile: (p) => ({ test: (text) => regexFinds(p, text) }) } });
  const LIST = listType(DYN);
  const internal = [
    celFunc(LOOP_RANGE, [DYN], DYN, (range: CelValue) => (spend(sizeOf(range)), range)),
    celFunc(LOOP_TURN, [], BOOL, () => (spend(1), true)),
    celFunc(ACCU_NEW, [], LIST, () => {
      const items: CelValue[] = [];
      const list = celList(items);
      growing.set(list, items);
      return list;
    }),
    celFunc(ACCU_PUSH, [LIST, DYN], LIST, (list: CelList, item: CelValue) => {
      spend(1);
      const items = growing.get(list);
      if (!items) throw new Error('internal: not a growing list');
      items.push(item);
      return list;
    }),
  ];
  return celEnv({ variables: VARIABLES, funcs: [...[...base.funcs].map(charging), ...internal] });
}

const ENV = buildEnv();

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed['expr'];

function childrenOf(e: Expr): (Expr | undefined)[] {
  const k = e.exprKind;
  switch (k.case) {
    case 'selectExpr': return [k.value.operand];
    case 'callExpr': return [k.value.target, ...k.value.args];
    case 'listExpr': return k.value.elements;
    case 'structExpr': return k.value.entries.flatMap((en) => [en.keyKind.case === 'mapKey' ? en.keyKind.value : undefined, en.value]);
    case 'comprehensionExpr': return [k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result];
    default: return [];
  }
}

/** `accu + [x]` inside `step`, rewritten to `@accu_push(accu, x)`. */
function pushInPlace(step: Expr, accuVar: string, call: (fn: string, args: Expr[]) => Expr): Expr {
  const k = step.exprKind;
  if (k.case !== 'callExpr') return step;
  const [left, right] = k.value.args;
  if (k.value.function === '_+_' && left?.exprKind.case === 'identExpr' && left.exprKind.value.name === accuVar && right?.exprKind.case === 'listExpr' && right.exprKind.value.elements.length === 1) {
    return call(ACCU_PUSH, [left, right.exprKind.value.elements[0]!]);
  }
  if (k.value.function === '_?_:_') k.value.args = k.value.args.map((a) => pushInPlace(a, accuVar, call));
  return step;
}

/**
 * Every loop walks `@loop_range(range)` and its condition becomes `@loop_turn() && condition`; a loop collecting
 * into `[]` grows it in place.
 */
function instrumentLoops(e: Expr, nextId: { value: bigint }): void {
  for (const child of childrenOf(e)) if (child) instrumentLoops(child, nextId);
  const k = e.exprKind;
  if (k.case !== 'comprehensionExpr' || !k.value.loopCondition) return;
  const call = (fn: string, args: Expr[]): Expr => ({ ...e, id: nextId.value++, exprKind: { case: 'callExpr', value: { function: fn, args } } }) as Expr;
  k.value.loopCondition = call('_&&_', [call(LOOP_TURN, []), k.value.loopCondition]);
  if (k.value.iterRange) k.value.iterRange = call(LOOP_RANGE, [k.value.iterRange]);
  const init = k.value.accuInit;
  if (init?.exprKind.case === 'listExpr' && init.exprKind.value.elements.length === 0 && k.value.loopStep) {
    k.value.accuInit = call(ACCU_NEW, []);
    k.value.loopStep = pushInPlace(k.value.loopStep, k.value.accuVar, call);
  }
}

function maxId(e: Parsed): bigint {
  return Object.keys(e.sourceInfo?.positions ?? {}).reduce((m, id) => (BigInt(id) > m ? BigInt(id) : m), e.expr.id);
}

/** 1-based line and column of a source offset. */
function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

export interface CompiledExpression {
  source: string;
  /** The statically known result type (`dyn` when only the evaluation can tell). */
  type: CelType;
  /** The value, or why there is none (an error of the expression, or the spent budget). */
  evaluate(bindings: Bindings): { value: CelValue } | { failure: string };
}

function parsed(source: string): Parsed {
  try {
    return parse(source);
  } catch (err) {
    const at = (err as { location?: { start?: { line: number; column: number } } }).location?.start;
    const message = ((err as { rawMessage?: string }).rawMessage ?? (err as Error).message).replace(/^<input>:\d+:\d+: /, '');
    throw new ExpressionError(`syntax error: ${message}`, at?.line ?? 1, at?.column ?? 1);
  }
}

/** Parses, checks and plans `source`; `expect` names the result types allowed (besides dyn). */
export function compileExpression(source: string, expect: { types: readonly CelType[]; what: string }): CompiledExpression {
  if (source.length > EXPRESSION_LIMITS.maxSourceChars) throw new ExpressionError(`longer than ${EXPRESSION_LIMITS.maxSourceChars} characters`, 1, 1);
  const ast = parsed(source);
  const locate = (id: bigint | undefined) => lineAndColumn(source, Number(ast.sourceInfo?.positions[String(id)] ?? 0));
  let type: CelType;
  try {
    type = new Checker(ENV, EXPRESSION_LIMITS).check(ast.expr);
  } catch (err) {
    if (!(err instanceof ExpressionProblem)) throw err;
    const at = locate(err.exprId);
    throw new ExpressionError(err.message, at.line, at.column);
  }
  if (!expect.types.some((t) => fits(t, type))) {
    throw new ExpressionError(`${expect.what} must be ${expect.types.map(typeName).join(' or ')}, not ${typeName(type)}`, 1, 1);
  }
  instrumentLoops(ast.expr, { value: maxId(ast) + 1n });
  const program = plan(ENV, ast);
  return {
    source,
    type,
    evaluate(bindings) {
      budget = EXPRESSION_LIMITS.maxCost;
      const out = program({ claims: bindings.claims as Map<string, string[]>, subject: bindings.subject, idp: bindings.idp });
      if (budget < 0) return { failure: `the evaluation exceeded its budget of ${EXPRESSION_LIMITS.maxCost} cost units` };
      if (!isCelError(out)) return { value: out };
      const at = locate(out.exprId);
      return { failure: `${out.message} (at line ${at.line}, column ${at.column})` };
    },
  };
}

