import { describe, expect, it } from 'vitest';
import { pickFields } from './response-filter.js';

describe('pickFields', () => {
  const record = { id: 'S1', name: 'Ada', ssn: '123', advisor: { name: 'C', email: 'c@x' }, courses: [{ code: 'M1', grade: 'A', notes: 'x' }, { code: 'C2', grade: null }] };

  it.each([
    [['id', 'name'], { id: 'S1', name: 'Ada' }],
    [['advisor.name'], { advisor: { name: 'C' } }],
    [['advisor'], { advisor: { name: 'C', email: 'c@x' } }],
    [['courses.code'], { courses: [{ code: 'M1' }, { code: 'C2' }] }],
    [['courses.grade', 'id'], { id: 'S1', courses: [{ grade: 'A' }, { grade: null }] }],
    [['missing', 'name.first'], {}],
    [['advisor', 'advisor.name'], { advisor: { name: 'C', email: 'c@x' } }],
  ])('%j', (paths, expected) => {
    expect(pickFields(record, paths)).toEqual(expected);
  });

  it('applies to every item of a top-level array, dropping non-objects', () => {
    expect(pickFields([{ a: 1, b: 2 }, 3, { a: 4 }], ['a'])).toEqual([{ a: 1 }, { a: 4 }]);
  });

  it('keeps a "__proto__" field as data, never as a prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown;
    const out = pickFields(parsed, ['__proto__', 'x']) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'x']);
  });

  it('turns a primitive answer into an empty object', () => {
    expect(pickFields('secret', ['a'])).toEqual({});
  });
});
