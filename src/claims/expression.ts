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
  CelScalar, celEnv, celFunc, celMethod, isCelError, isCelList, isCelMap, listType, mapType, parse, plan, type CelEnv, type CelFunc,
  type CelType, type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Checker, ExpressionProblem, typeName } from './check.js';
import { regexExtract, regexFinds } from './regex.js';

const { BOOL, STRING } = CelScalar;
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

/** The same function, charging the budget before it runs (its own errors keep their message). */
function charging(f: CelFunc): CelFunc {
  const forward = (target: CelValue | undefined, args: CelValue[]) => {
    spend(1 + sizeOf(target) + args.reduce((n: number, a) => n + sizeOf(a), 0));
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

/** Called once per loop turn (inserted into every comprehension's condition): loops spend the budget too. */
const LOOP_TURN = '@loop_turn';

function buildEnv(): CelEnv {
  const extract = celMethod('extract', STRING, [STRING], STRING, function (this: string, pattern: string) {
    return regexExtract(pattern, this);
  });
  const base = celEnv({ variables: VARIABLES, funcs: [...strings, extract], re2: { compile: (p) => ({ test: (text) => regexFinds(p, text) }) } });
  const turn = celFunc(LOOP_TURN, [], BOOL, () => (spend(1), true));
  return celEnv({ variables: VARIABLES, funcs: [...[...base.funcs].map(charging), turn] });
}

const ENV = buildEnv();

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed['expr'];

/** Every comprehension's loop condition becomes `@loop_turn() && condition`. */
function chargeLoops(e: Expr, nextId: { value: bigint }): void {
  const k = e.exprKind;
  const children: (Expr | undefined)[] =
    k.case === 'selectExpr' ? [k.value.operand]
    : k.case === 'callExpr' ? [k.value.target, ...k.value.args]
    : k.case === 'listExpr' ? k.value.elements
    : k.case === 'structExpr' ? k.value.entries.flatMap((en) => [en.keyKind.case === 'mapKey' ? en.keyKind.value : undefined, en.value])
    : k.case === 'comprehensionExpr' ? [k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result]
    : [];
  for (const child of children) if (child) chargeLoops(child, nextId);
  if (k.case !== 'comprehensionExpr' || !k.value.loopCondition) return;
  const node = (exprKind: unknown): Expr => ({ ...e, id: nextId.value++, exprKind }) as Expr;
  const turn = node({ case: 'callExpr', value: { function: LOOP_TURN, args: [] } });
  k.value.loopCondition = node({ case: 'callExpr', value: { function: '_&&_', args: [turn, k.value.loopCondition] } });
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
  if (type.kind !== 'scalar' || type.name !== 'dyn') {
    if (!expect.types.some((t) => typeName(t) === typeName(type))) throw new ExpressionError(`${expect.what} must be ${expect.types.map(typeName).join(' or ')}, not ${typeName(type)}`, 1, 1);
  }
  chargeLoops(ast.expr, { value: maxId(ast) + 1n });
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

