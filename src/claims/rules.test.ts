// Claim rules: shorthands, CEL, pick, failures, and what is refused at compile time (with line and column).
import { describe, expect, it } from 'vitest';
import { EXPRESSION_LIMITS } from './expression.js';
import { ClaimRuleError, compileClaimRules, compileCondition, shorthandExpression, type ClaimRuleSpec } from './rules.js';

const ESI = 'urn:schac:personalUniqueCode:int:esi:example.org:';
const ctx = { subject: 'alice@example.org', idp: 'campus' };
const mapped = {
  schacPersonalUniqueCode: [`${ESI}s1000001`, 'urn:schac:personalUniqueCode:nl:local:example.org:employeeid:77'],
  scopedAffiliation: ['member@example.org', 'student@example.org', 'student@med.example.org'],
  affiliation: ['member', 'student'],
  mail: 'Alice.Example@Example.ORG',
  displayName: 'Alice Example',
};

const apply = (specs: Record<string, ClaimRuleSpec>, claims: Record<string, string | string[]> = mapped) => compileClaimRules(specs).apply(claims, ctx);

function compileProblem(specs: Record<string, ClaimRuleSpec>): { field: string; message: string } {
  try {
    compileClaimRules(specs);
  } catch (err) {
    if (err instanceof ClaimRuleError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('compiled');
}

describe('shorthands', () => {
  it('extract: the ESI student number from schacPersonalUniqueCode, the only matching value', () => {
    const { claims, failures } = apply({ student_id: { from: 'schacPersonalUniqueCode', extract: `^${ESI.replace(/\./g, '\\.')}(.+)$`, pick: 'one' } });
    expect(claims.student_id).toBe('s1000001');
    expect(failures).toEqual([]);
  });

  it('strip_scope keeps every distinct value (a list, in order) and replaces the mapped claim of that name', () => {
    expect(apply({ affiliation: { from: 'scopedAffiliation', strip_scope: true } }).claims.affiliation).toEqual(['member', 'student']);
  });

  it('lower with pick first is a string; a single value stays a string with any pick', () => {
    expect(apply({ mail: { from: 'mail', lower: true, pick: 'first' } }).claims.mail).toBe('alice.example@example.org');
    expect(apply({ mail: { from: 'mail', lower: true, pick: 'all' } }).claims.mail).toEqual(['alice.example@example.org']);
  });

  it('an absent source leaves no claim (and is no failure); a rule owns its name, so the mapped value goes too', () => {
    expect(apply({ displayName: { from: 'cn' } })).toEqual({ claims: expect.not.objectContaining({ displayName: expect.anything() }), failures: [] });
  });

  it('pick one refuses ambiguity: no claim, and the failure says why', () => {
    const { claims, failures } = apply({ code: { from: 'schacPersonalUniqueCode', pick: 'one' } });
    expect(claims).not.toHaveProperty('code');
    expect(failures).toEqual([{ claim: 'code', detail: '2 values, and pick: one wants exactly one' }]);
  });

  it('stand for a CEL expression', () => {
    expect(shorthandExpression({ from: 'scopedAffiliation', extract: '^(.+)@med\\.example\\.org$', strip_scope: true, lower: true })).toBe(
      '("scopedAffiliation" in claims ? claims["scopedAffiliation"] : []).map(v, v.extract("^(.+)@med\\\\.example\\\\.org$"))' +
        '.map(v, v.lastIndexOf("@") < 0 ? v : v.substring(0, v.lastIndexOf("@"))).map(v, v.lowerAscii())',
    );
  });
});

describe('CEL rules', () => {
  it('derive a value from two attributes, and see subject and idp', () => {
    const { claims } = apply({
      faculty: { cel: '"student@med.example.org" in claims.scopedAffiliation ? "medicine" : ""' },
      who: { cel: 'idp + ":" + subject.split("@")[0]' },
      initials: { cel: 'claims.displayName[0].split(" ").map(w, w.substring(0, 1))' },
    });
    expect(claims).toMatchObject({ faculty: 'medicine', who: 'campus:alice', initials: ['A', 'E'] });
  });

  it('see the mapped claims only, not each other', () => {
    const { claims, failures } = apply({ a: { cel: '"x"' }, b: { cel: 'claims.a[0]' } });
    expect(claims.a).toBe('x');
    expect(failures).toEqual([{ claim: 'b', detail: 'field not found: a (at line 1, column 7)' }]);
  });

  it('an empty string or list is no claim; a wrong runtime type is a failure', () => {
    const { claims, failures } = apply({ e: { cel: '""' }, l: { cel: '[]' }, d: { cel: 'dyn([1, 2])' } });
    expect(Object.keys(claims)).not.toContain('e');
    expect(Object.keys(claims)).not.toContain('l');
    expect(failures).toEqual([{ claim: 'd', detail: 'expected a list of strings, got an element of type int' }]);
  });

  it('the result object has no prototype (a claim named like an Object member is just a name)', () => {
    expect(Object.getPrototypeOf(apply({}).claims)).toBeNull();
  });
});

describe('compile-time problems name the field and the line and column', () => {
  it.each<[string, Record<string, ClaimRuleSpec>, { field: string; message: string }]>([
    ['a syntax error', { id: { cel: 'claims.x +' } }, { field: 'id.cel', message: expect.stringMatching(/^at line 1, column \d+: syntax error: /) }],
    ['an unknown variable', { id: { cel: '"a" +\n  claim.x[0]' } }, { field: 'id.cel', message: "at line 2, column 3: undeclared reference to 'claim' (the variables are claims, subject, idp)" }],
    ['a list compared with a string', { id: { cel: 'claims.affiliation == "student" ? "y" : ""' } }, { field: 'id.cel', message: 'at line 1, column 20: list(string) and string are never equal (for a list, use "value in list")' }],
    ['a result that is no claim', { id: { cel: 'size(claims.affiliation)' } }, { field: 'id.cel', message: 'at line 1, column 1: a claim rule must be string or list(string), not int' }],
    ['an unknown function', { id: { cel: 'subject.toLower()' } }, { field: 'id.cel', message: 'at line 1, column 8: unknown function \'toLower\'' }],
    ['no overload', { id: { cel: 'subject.startsWith(1) ? "a" : ""' } }, { field: 'id.cel', message: 'at line 1, column 8: no overload of string.startsWith(int)' }],
    ['a bad RE2 pattern in CEL', { id: { cel: 'subject.extract("(?<=a)b")' } }, { field: 'id.cel', message: expect.stringMatching(/^at line 1, column 17: not an RE2 regular expression: /) }],
    ['a bad RE2 pattern in a shorthand', { id: { from: 'mail', extract: '(a' } }, { field: 'id.extract', message: 'not an RE2 regular expression: error parsing regexp: missing closing ): `(a`' }],
    ['loops nested three deep', { id: { cel: 'claims.a.map(x, claims.a.map(y, claims.a.map(z, x)))' } }, { field: 'id.cel', message: 'at line 1, column 41: loops may be nested at most 2 deep' }],
    ['both forms', { id: { cel: '"a"', from: 'mail' } }, { field: 'id', message: 'expected exactly one of cel or from' }],
    ['a shorthand key with cel', { id: { cel: '"a"', lower: true } }, { field: 'id.cel', message: 'extract, strip_scope and lower go with from, not with cel' }],
    ['sub', { sub: { from: 'mail' } }, { field: 'sub', message: '"sub" cannot be computed by a rule (the subject comes from subject.source)' }],
    ['a prototype key', { constructor: { from: 'mail' } }, { field: 'constructor', message: '"constructor" cannot be computed by a rule (a reserved name)' }],
  ])('%s', (_name, specs, want) => {
    expect(compileProblem(specs)).toEqual(want);
  });

  it('a source too long or an expression too large', () => {
    expect(compileProblem({ id: { cel: `"${'a'.repeat(EXPRESSION_LIMITS.maxSourceChars)}"` } }).message).toBe(`at line 1, column 1: longer than ${EXPRESSION_LIMITS.maxSourceChars} characters`);
    expect(compileProblem({ id: { cel: Array.from({ length: 300 }, () => '"a"').join(' + ') } }).message).toMatch(/^at line 1, column \d+: the expression is too large \(more than 400 nodes\)$/);
  });
});

describe('bounded evaluation', () => {
  const many = { entitlement: Array.from({ length: 2000 }, (_, i) => `urn:mace:example.org:e${i}`) };

  it('a costly expression fails with the budget spent instead of running on', () => {
    const started = performance.now();
    const { claims, failures } = apply({ pairs: { cel: 'claims.entitlement.map(a, claims.entitlement.map(b, a + b)).map(l, l[0])' } }, many);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(claims).not.toHaveProperty('pairs');
    expect(failures).toEqual([{ claim: 'pairs', detail: `the evaluation exceeded its budget of ${EXPRESSION_LIMITS.maxCost} cost units` }]);
  });

  it('a regex is RE2: a pattern that backtracks exponentially elsewhere is linear here', () => {
    const started = performance.now();
    const { claims } = apply({ x: { cel: 'claims.v.map(v, v.matches("^(a+)+$") ? "yes" : "no")', pick: 'first' } }, { v: [`${'a'.repeat(5000)}b`] });
    expect(claims.x).toBe('no');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the budget is per evaluation: the next one starts afresh', () => {
    const rules = compileClaimRules({ n: { cel: 'claims.entitlement.map(e, e.lowerAscii())', pick: 'first' } });
    for (let i = 0; i < 3; i++) expect(rules.apply(many, ctx).claims.n).toBe('urn:mace:example.org:e0');
  });
});

describe('conditions', () => {
  const medicine = compileCondition('"student" in claims.affiliation && claims.scopedAffiliation.exists(a, a.endsWith("@med.example.org"))');

  it('admit, refuse, and a failing expression counts as not met with its reason', () => {
    expect(medicine.test(mapped, ctx)).toEqual({ met: true });
    expect(medicine.test({ ...mapped, scopedAffiliation: ['student@example.org'] }, ctx)).toEqual({ met: false });
    expect(medicine.test({ affiliation: 'student' }, ctx)).toEqual({ met: false, failure: 'field not found: scopedAffiliation (at line 1, column 42)' });
  });

  it('must be a bool', () => {
    expect(() => compileCondition('claims.affiliation')).toThrow('at line 1, column 1: a condition must be bool, not list(string)');
  });
});
