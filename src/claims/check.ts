/**
 * A static type checker for the CEL expressions of claim rules and survey conditions. `@bufbuild/cel` parses and
 * evaluates (conformance-tested) but its checker is unfinished (constants and identifiers only), so this walks the
 * parsed AST against the declared variables and the environment's own function table: every overload it accepts
 * is one the evaluator has. It also enforces the static limits (nodes, loop nesting) and compiles constant regular
 * expressions (RE2), so a bad pattern fails at config load, not at a login.
 */
import { CelScalar, listType, mapType, type CelEnv, type CelType, type parse } from '@bufbuild/cel';
import { compileRegex } from './regex.js';

type Expr = ReturnType<typeof parse>['expr'];
type ExprKind = Expr['exprKind'];
type Of<K extends ExprKind['case']> = Extract<ExprKind, { case: K }>['value'];

const { BOOL, BYTES, DOUBLE, DYN, INT, NULL, STRING, UINT } = CelScalar;

/** A problem found in an expression; `exprId` locates it in the source (see `expression.ts`). */
export class ExpressionProblem extends Error {
  constructor(
    message: string,
    readonly exprId: bigint,
  ) {
    super(message);
  }
}

export interface StaticLimits {
  /** Nodes after macro expansion (`exists` and friends expand to about eight). */
  maxNodes: number;
  /** Loops (`all`, `exists`, `map` …) inside loops: the cost of nesting multiplies. */
  maxLoopDepth: number;
}

interface Scope {
  name: string;
  type: CelType;
  parent: Scope | undefined;
}

const isDyn = (t: CelType): boolean => t.kind === 'scalar' && t.name === 'dyn';

/** `arg` may be passed where `param` is declared (dyn on either side is decided at run time). */
export function fits(param: CelType, arg: CelType): boolean {
  if (isDyn(param) || isDyn(arg)) return true;
  if (param.kind === 'list' && arg.kind === 'list') return fits(param.element, arg.element);
  if (param.kind === 'map' && arg.kind === 'map') return fits(param.key, arg.key) && fits(param.value, arg.value);
  return param.kind === arg.kind && param.name === arg.name;
}

/** The type of a value that is either `a` or `b`: dyn stands for "not known yet", a real mismatch is dyn. */
function join(a: CelType, b: CelType): CelType {
  if (isDyn(a)) return b;
  if (isDyn(b)) return a;
  if (a.kind === 'list' && b.kind === 'list') return listType(join(a.element, b.element));
  if (a.kind === 'map' && b.kind === 'map') {
    const key = join(a.key, b.key);
    return mapType(key.kind === 'scalar' && ['int', 'uint', 'bool', 'string'].includes(key.name) ? (key as typeof STRING) : DYN, join(a.value, b.value));
  }
  return a.kind === b.kind && a.name === b.name ? a : DYN;
}

export const typeName = (t: CelType): string =>
  t.kind === 'list' ? `list(${typeName(t.element)})` : t.kind === 'map' ? `map(${typeName(t.key)}, ${typeName(t.value)})` : t.name;

function constType(c: Of<'constExpr'>, id: bigint): CelType {
  switch (c.constantKind.case) {
    case 'boolValue': return BOOL;
    case 'bytesValue': return BYTES;
    case 'doubleValue': return DOUBLE;
    case 'int64Value': return INT;
    case 'uint64Value': return UINT;
    case 'stringValue': return STRING;
    case 'nullValue': return NULL;
    default: throw new ExpressionProblem(`unsupported constant (${c.constantKind.case ?? 'none'})`, id);
  }
}

/** `a.b.c` as a qualified name when it is made of identifiers only (`strings.quote` is a function, not a field). */
function qualifiedName(e: Expr): string | undefined {
  if (e.exprKind.case === 'identExpr') return e.exprKind.value.name;
  if (e.exprKind.case === 'selectExpr' && !e.exprKind.value.testOnly && e.exprKind.value.operand) {
    const parent = qualifiedName(e.exprKind.value.operand);
    return parent === undefined ? undefined : `${parent}.${e.exprKind.value.field}`;
  }
  return undefined;
}

/** Functions whose argument at index 0 is a regular expression: checked when it is a constant. */
const REGEX_FUNCTIONS = new Set(['matches', 'extract']);
/** CEL compares numbers across types (1 == 1.0). */
const NUMBERS = new Set(['int', 'uint', 'double']);

export class Checker {
  private nodes = 0;

  constructor(
    private readonly env: CelEnv,
    private readonly limits: StaticLimits,
  ) {}

  check(e: Expr, scope: Scope | undefined = undefined, depth = 0): CelType {
    if (++this.nodes > this.limits.maxNodes) throw new ExpressionProblem(`the expression is too large (more than ${this.limits.maxNodes} nodes)`, e.id);
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr': return constType(kind.value, e.id);
      case 'identExpr': return this.ident(kind.value.name, scope, e.id);
      case 'selectExpr': return this.select(kind.value, scope, depth, e.id);
      case 'callExpr': return this.call(kind.value, scope, depth, e.id);
      case 'listExpr':
        if (kind.value.optionalIndices.length > 0) throw new ExpressionProblem('optional list elements are not supported', e.id);
        return listType(kind.value.elements.map((el) => this.check(el, scope, depth)).reduce(join, DYN));
      case 'structExpr': return this.struct(kind.value, scope, depth, e.id);
      case 'comprehensionExpr': return this.loop(kind.value, scope, depth, e.id);
      default: throw new ExpressionProblem('unsupported expression', e.id);
    }
  }

  private ident(name: string, scope: Scope | undefined, id: bigint): CelType {
    for (let s = scope; s; s = s.parent) if (s.name === name) return s.type;
    const declared = this.env.variables.find(name);
    if (!declared) throw new ExpressionProblem(`undeclared reference to '${name}' (the variables are ${[...this.env.variables].map(([n]) => n).join(', ')})`, id);
    return declared;
  }

  private select(sel: Of<'selectExpr'>, scope: Scope | undefined, depth: number, id: bigint): CelType {
    const operand = this.check(sel.operand!, scope, depth);
    if (isDyn(operand)) return sel.testOnly ? BOOL : DYN;
    if (operand.kind !== 'map' || !fits(operand.key, STRING)) throw new ExpressionProblem(`${typeName(operand)} has no field '${sel.field}'`, id);
    return sel.testOnly ? BOOL : operand.value;
  }

  private struct(st: Of<'structExpr'>, scope: Scope | undefined, depth: number, id: bigint): CelType {
    if (st.messageName) throw new ExpressionProblem(`message types are not supported (${st.messageName})`, id);
    let key: CelType = DYN;
    let value: CelType = DYN;
    for (const entry of st.entries) {
      if (entry.optionalEntry || entry.keyKind.case !== 'mapKey') throw new ExpressionProblem('only plain map entries are supported', entry.id);
      key = join(key, this.check(entry.keyKind.value, scope, depth));
      value = join(value, this.check(entry.value!, scope, depth));
    }
    if (!isDyn(key) && !(key.kind === 'scalar' && ['int', 'uint', 'bool', 'string'].includes(key.name))) throw new ExpressionProblem(`a map key cannot be ${typeName(key)}`, id);
    return mapType(key as typeof STRING, value);
  }

  private loop(c: Of<'comprehensionExpr'>, scope: Scope | undefined, depth: number, id: bigint): CelType {
    if (c.iterVar2) throw new ExpressionProblem('two-variable loops are not supported', id);
    if (depth + 1 > this.limits.maxLoopDepth) throw new ExpressionProblem(`loops may be nested at most ${this.limits.maxLoopDepth} deep`, id);
    const range = this.check(c.iterRange!, scope, depth);
    const item = isDyn(range) ? DYN : range.kind === 'list' ? range.element : range.kind === 'map' ? range.key : undefined;
    if (!item) throw new ExpressionProblem(`cannot loop over ${typeName(range)}`, id);
    const init = this.check(c.accuInit!, scope, depth);
    const inner: Scope = { name: c.iterVar, type: item, parent: { name: c.accuVar, type: init, parent: scope } };
    this.expectBool(this.check(c.loopCondition!, inner, depth + 1), c.loopCondition!.id, 'a loop condition');
    // `map` starts from `[]` (list(dyn)) and appends its elements: the step says what the list holds.
    const accu = join(init, this.check(c.loopStep!, inner, depth + 1));
    return this.check(c.result!, { name: c.accuVar, type: accu, parent: scope }, depth);
  }

  private expectBool(t: CelType, id: bigint, what: string): void {
    if (!fits(BOOL, t)) throw new ExpressionProblem(`${what} must be a bool, not ${typeName(t)}`, id);
  }

  // long: one switch over the operators the evaluator treats itself (logic, ?:, index, equality), then the function table.
  private call(call: Of<'callExpr'>, scope: Scope | undefined, depth: number, id: bigint): CelType {
    const fn = call.function;
    if (call.target) {
      const qualified = qualifiedName(call.target);
      const isVariable = qualified !== undefined && this.env.variables.find(qualified.split('.')[0]!) !== undefined;
      if (qualified !== undefined && !isVariable && this.env.funcs.find(`${qualified}.${fn}`)) {
        return this.resolve(`${qualified}.${fn}`, undefined, call.args.map((a) => this.check(a, scope, depth)), id);
      }
    }
    const args = call.args.map((a) => this.check(a, scope, depth));
    switch (fn) {
      case '_&&_':
      case '_||_':
        args.forEach((t, i) => this.expectBool(t, call.args[i]!.id, `an operand of ${fn === '_&&_' ? '&&' : '||'}`));
        return BOOL;
      case '_?_:_':
        this.expectBool(args[0]!, call.args[0]!.id, 'the condition of ?:');
        return join(args[1]!, args[2]!);
      case '@not_strictly_false':
      case '__not_strictly_false__':
        return BOOL;
      case '_[_]': return this.index(args[0]!, args[1]!, id);
      case '_[?_]':
      case '_?._':
        throw new ExpressionProblem('optional values (?. and [?]) are not supported', id);
      case '_==_':
      case '_!=_':
        if (!fits(args[0]!, args[1]!) && !(NUMBERS.has(typeName(args[0]!)) && NUMBERS.has(typeName(args[1]!)))) throw new ExpressionProblem(`${typeName(args[0]!)} and ${typeName(args[1]!)} are never equal (for a list, use "value in list")`, id);
        return BOOL;
    }
    const target = call.target ? this.check(call.target, scope, depth) : undefined;
    if (REGEX_FUNCTIONS.has(fn)) this.constantRegex(call.args[0]);
    const result = this.resolve(fn, target, args, id);
    if (fn === '_+_' && args[0]!.kind === 'list' && args[1]!.kind === 'list') return listType(join(args[0]!.element, args[1]!.element));
    return result;
  }

  private index(container: CelType, key: CelType, id: bigint): CelType {
    if (isDyn(container)) return DYN;
    if (container.kind === 'list' && (fits(INT, key) || fits(UINT, key))) return container.element;
    if (container.kind === 'map' && fits(container.key, key)) return container.value;
    throw new ExpressionProblem(`${typeName(container)} cannot be indexed with ${typeName(key)}`, id);
  }

  /** The overloads of `name` that accept these types; their result (dyn when they disagree). */
  private resolve(name: string, target: CelType | undefined, args: CelType[], id: bigint): CelType {
    const group = this.env.funcs.find(name);
    const shown = `${target ? `${typeName(target)}.` : ''}${name.replace(/^_(.+)_$/, '$1')}(${args.map(typeName).join(', ')})`;
    if (!group) throw new ExpressionProblem(`unknown function '${name}'`, id);
    const matching = [...group].filter(
      (f) => (f.target === undefined) === (target === undefined) && (!target || fits(f.target!, target)) && f.arguments.length === args.length && f.arguments.every((p, i) => fits(p, args[i]!)),
    );
    if (matching.length === 0) throw new ExpressionProblem(`no overload of ${shown}`, id);
    return matching.map((f) => f.result).reduce((a, b) => (a.kind === b.kind && a.name === b.name && typeName(a) === typeName(b) ? a : DYN));
  }

  private constantRegex(arg: Expr | undefined): void {
    if (arg?.exprKind.case !== 'constExpr' || arg.exprKind.value.constantKind.case !== 'stringValue') return;
    const problem = compileRegex(arg.exprKind.value.constantKind.value).problem;
    if (problem) throw new ExpressionProblem(`not an RE2 regular expression: ${problem}`, arg.id);
  }
}
