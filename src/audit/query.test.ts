import { describe, expect, it } from 'vitest';
import { OAuthError } from '../core/oauth-errors.js';
import { decodeCursor, describeFilter, encodeCursor, filterToParams, parseAuditFilter, parsePageRequest } from './query.js';

const parse = (q: string) => parseAuditFilter(new URLSearchParams(q));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return { code: err.code, description: err.description };
    throw err;
  }
  throw new Error('no refusal');
};

describe('parseAuditFilter', () => {
  it('reads every filter, ignores empty form fields, and repeats event', () => {
    expect(parse('from=2026-11-23T10:00:00%2B01:00&to=2026-11-24&subject=a%40b&survey=s&client=c&audience=x&event=token.issue&event=upstream.*&outcome=refused&request_id=r&jti=j&limit=5&cursor=&order=asc&format=csv&jti=')).toEqual({
      from: new Date('2026-11-23T09:00:00Z'),
      to: new Date('2026-11-24T00:00:00Z'),
      subject: 'a@b',
      survey: 's',
      client: 'c',
      audience: 'x',
      event: ['token.issue', 'upstream.*'],
      outcome: 'refused',
      request_id: 'r',
      jti: 'j',
    });
    expect(parse('subject=&event=')).toEqual({});
  });

  it('reads a zone-less time (what datetime-local sends) as UTC', () => {
    expect(parse('from=2026-11-23T10:15').from).toEqual(new Date('2026-11-23T10:15:00Z'));
    expect(parse('from=2026-11-23T10:15:30.5').from).toEqual(new Date('2026-11-23T10:15:30.500Z'));
  });

  const bad: [string, string][] = [
    ['who=me', 'unknown filter "who"'],
    ['from=2026-13-01', 'from: is not a valid time'],
    ['to=2026-02-29T00:00:00Z', 'to: is not a valid time'],
    ['to=2026-11-23T24:00', 'to: is not a valid time'],
    ['from=1700000000', 'from: expected an ISO 8601 time such as 2026-11-23T10:00:00Z'],
    ['from=2026-11-23&to=2026-11-23', 'from: must be before to'],
    ['event=Token.Issue', 'event.0: expected an event name such as token.issue or a family such as upstream.*'],
    ['event=*', 'event.0: expected an event name such as token.issue or a family such as upstream.*'],
    [`subject=${'x'.repeat(513)}`, 'subject: Too big: expected string to have <=512 characters'],
    ['jti=a&jti=b', 'parameter jti is included more than once'],
  ];
  for (const [q, description] of bad) {
    it(`refuses ${q.slice(0, 40)}`, () => expect(refusal(() => parse(q))).toEqual({ code: 'invalid_request', description }));
  }

  it('round-trips through query parameters and describes itself', () => {
    const f = parse('subject=alice%40example.edu&event=saml.*&event=launch.issue&from=2026-11-23T10:00:00Z');
    expect(parseAuditFilter(filterToParams(f))).toEqual(f);
    expect(describeFilter(f)).toBe('from=2026-11-23T10%3A00%3A00.000Z&subject=alice%40example.edu&event=saml.*&event=launch.issue');
    expect(describeFilter({})).toBe('all rows');
  });
});

describe('cursors and page requests', () => {
  it('encodes order and id opaquely, and refuses anything else', () => {
    expect(decodeCursor(encodeCursor('desc', 42), 'desc')).toBe(42);
    expect(refusal(() => decodeCursor(encodeCursor('desc', 42), 'asc')).description).toBe('cursor: belongs to the other order');
    for (const c of ['', 'bm9wZQ', Buffer.from('desc:-1').toString('base64url'), Buffer.from('desc:1e9').toString('base64url'), 'a'.repeat(40), 'not base64!']) {
      expect(refusal(() => decodeCursor(c, 'desc')).description).toBe('cursor: malformed (pass next_cursor from the previous page unchanged)');
    }
  });

  it('defaults to 50 newest-first rows and caps the page size', () => {
    expect(parsePageRequest(new URLSearchParams())).toEqual({ limit: 50, order: 'desc', after: undefined });
    expect(parsePageRequest(new URLSearchParams(`order=asc&limit=500&cursor=${encodeCursor('asc', 7)}`))).toEqual({ limit: 500, order: 'asc', after: 7 });
    expect(refusal(() => parsePageRequest(new URLSearchParams('order=sideways'))).description).toBe('order: expected asc or desc');
    expect(refusal(() => parsePageRequest(new URLSearchParams('limit=1.5'))).description).toBe('limit: expected 1..500');
  });
});
