import { describe, expect, it } from 'vitest';
import { encodeSegment, parseTemplate } from '../core/path-template.js';
import { matchRoute, unsafePathReason, type MatchableRoute } from './route-match.js';

const route = (method: string, path: string, scope = 'student.read', extra: Partial<MatchableRoute> & { upstream?: string } = {}): MatchableRoute & { name: string } => ({
  name: `${method} ${path}`,
  method,
  parts: parseTemplate(path).parts,
  ...(extra.upstream ? { upstreamParts: parseTemplate(extra.upstream).parts } : {}),
  scope,
  query: extra.query ?? [],
});

const table = [
  route('GET', '/students/{claims.student_id}', 'student.read', { query: ['fields'] }),
  route('GET', '/students/{claims.student_id}/enrollments', 'enrollment.read'),
  route('POST', '/students/{claims.student_id}/notes', 'notes.write'),
  route('GET', '/me', 'student.read', { upstream: '/students/{claims.student_id}' }),
  route('GET', '/terms/current'),
  route('GET', '/applications/'),
];
const claims = { student_id: 'S1001', sub: 'u1' };
const scopes = new Set(['student.read', 'enrollment.read']);
const decide = (method: string, rawPath: string, rawQuery = '', c: Record<string, unknown> = claims) => matchRoute(table, { method, rawPath, rawQuery, claims: c, scopes });

describe('parseTemplate', () => {
  it.each([
    ['/students/{claims.student_id}', undefined],
    ['/applications/', undefined],
    ['/', undefined],
    ['students', 'must start with "/"'],
    ['/a//b', 'must not contain an empty segment ("//")'],
    ['/a/../b', 'must not contain "." or ".." segments'],
    ['/a/./b', 'must not contain "." or ".." segments'],
    ['/s-{claims.id}', 'segment "s-{claims.id}" must be unreserved characters (A-Z a-z 0-9 - . _ ~) or a whole {claims.NAME}'],
    ['/a%2fb', 'segment "a%2fb" must be unreserved characters (A-Z a-z 0-9 - . _ ~) or a whole {claims.NAME}'],
    ['/{claims.}', 'segment "{claims.}" must be unreserved characters (A-Z a-z 0-9 - . _ ~) or a whole {claims.NAME}'],
  ])('%s → %s', (path, problem) => {
    expect(parseTemplate(path).problem).toBe(problem);
  });
});

describe('encodeSegment', () => {
  it.each([
    ['S1001', 'S1001'],
    [42, '42'],
    ['a/b', 'a%2Fb'],
    ['a b', 'a%20b'],
    ["it's (x)*!", 'it%27s%20%28x%29%2A%21'],
    ['ada@campus.test', 'ada%40campus.test'],
    ['é', '%C3%A9'],
    ['%2e%2e', '%252e%252e'],
    ['', undefined],
    ['.', undefined],
    ['..', undefined],
    [['S1', 'S2'], undefined],
    [{ id: 1 }, undefined],
    [null, undefined],
    [Number.NaN, undefined],
    [true, undefined],
    ['x'.repeat(257), undefined],
  ])('%j → %s', (value, encoded) => {
    expect(encodeSegment(value)).toBe(encoded);
  });
});

describe('unsafePathReason', () => {
  it.each([
    ['/students/S1001', undefined],
    ['/applications/', undefined],
    ['/students/../admin', 'dot segment'],
    ['/students/./S1', 'dot segment'],
    ['/students/%2e%2e/admin', 'encoded dot'],
    ['/students/%2E./admin', 'encoded dot'],
    ['/students/S1%2fx', 'encoded path separator'],
    ['/students/S1%2Fx', 'encoded path separator'],
    ['/students/S1%5cx', 'encoded path separator'],
    ['/students/S1%252fx', 'double percent-encoding'],
    ['/students/S1\\..\\x', 'backslash, space, control or non-ASCII character in path'],
    ['/students/S1%zz', 'malformed percent-encoding'],
    ['/students//S1', 'empty path segment'],
    ['/students/S1\u0000', 'backslash, space, control or non-ASCII character in path'],
  ])('%s → %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
  });
});

describe('matchRoute', () => {
  it('matches the caller\'s own path and rebuilds it from the claims', () => {
    expect(decide('GET', '/students/S1001')).toMatchObject({ ok: true, path: '/students/S1001', query: '' });
    expect(decide('GET', '/students/S1001', 'fields=name')).toMatchObject({ ok: true, query: 'fields=name' });
    expect(decide('GET', '/me')).toMatchObject({ ok: true, path: '/students/S1001' });
    expect(decide('GET', '/applications/')).toMatchObject({ ok: true, path: '/applications/' });
    expect(decide('GET', '/terms/current', '', {})).toMatchObject({ ok: true, path: '/terms/current' });
  });

  it('normalises the caller\'s percent-encoding (RFC 3986 §6.2.2) before comparing', () => {
    const c = { student_id: 'ada@campus.test' };
    expect(decide('GET', '/students/ada%40campus.test', '', c)).toMatchObject({ ok: true, path: '/students/ada%40campus.test' });
    expect(decide('GET', '/students/ada%40campus.test'.replace('a', '%61'), '', c)).toMatchObject({ ok: true });
  });

  it.each([
    ['GET', '/students/S2002', '', 'identity'],
    ['GET', '/students/S1001/grades', '', 'no_route'],
    ['DELETE', '/students/S1001', '', 'method'],
    ['GET', '/students/S1001/../S2002', '', 'unsafe_path'],
    ['GET', '/students/S1001', 'include=ssn', 'query'],
    ['GET', '/applications', '', 'no_route'],
    ['POST', '/students/S1001/notes', '', 'scope'],
  ])('%s %s?%s → %s', (method, path, query, kind) => {
    const d = decide(method, path, query);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.refusal.kind).toBe(kind);
  });

  it('a missing claim is a refusal, never an empty segment', () => {
    const d = decide('GET', '/me', '', { sub: 'u1' });
    expect(d).toEqual({ ok: false, refusal: { kind: 'missing_claim', detail: 'the token has no usable claim "student_id"' } });
    expect(decide('GET', '/students/', '', {})).toMatchObject({ ok: false });
    // Object.prototype members are not claims.
    const proto = matchRoute([route('GET', '/x/{claims.constructor}')], { method: 'GET', rawPath: '/x/function%20Object()%20%7B%20%5Bnative%20code%5D%20%7D', rawQuery: '', claims: {}, scopes });
    expect(proto).toMatchObject({ ok: false, refusal: { kind: 'missing_claim' } });
  });
});
