import { describe, expect, it } from 'vitest';
import { InvalidGrant, InvalidScope, InvalidTarget, type OAuthError } from '../core/oauth-errors.js';
import { checkResourceIndicator, decideActor, decideGrant, type PolicyClient, type PolicySubject, type TokenPolicy } from './policy.js';

const now = new Date('2026-11-23T10:00:00Z');
const policy: TokenPolicy = {
  audiences: new Map([
    ['sis', { id: 'sis', scopes: new Set(['a', 'b', 'c']) }],
    ['rep', { id: 'rep', scopes: new Set(['a', 'b']), maxTtlSeconds: 60 }],
    ['x', { id: 'x', scopes: new Set(['x']) }],
  ]),
  defaultTtlSeconds: 300,
  maxTtlSeconds: 600,
};
const client: PolicyClient = { id: 'cl', audiences: new Set(['sis', 'rep']), scopes: new Set(['a', 'b', 'c']) };
const noSubject: PolicySubject = { defaultAudiences: [] };
const in5min = new Date(now.getTime() + 300_000);

type Case = {
  name: string;
  subject?: PolicySubject;
  client?: PolicyClient;
  audiences?: string[];
  scopes?: string[];
  want?: { aud: string[]; scope: string[]; ttl: number };
  error?: [new (...a: never[]) => OAuthError, string];
};

const cases: Case[] = [
  { name: 'requested scope within everything', audiences: ['sis'], scopes: ['a', 'c'], want: { aud: ['sis'], scope: ['a', 'c'], ttl: 300 } },
  { name: 'no scope requested: client ∩ audience', audiences: ['rep'], want: { aud: ['rep'], scope: ['a', 'b'], ttl: 60 } },
  { name: 'no scope requested: subject ∩ client ∩ audience', subject: { scopes: ['b', 'c', 'z'], defaultAudiences: [] }, audiences: ['sis'], want: { aud: ['sis'], scope: ['b', 'c'], ttl: 300 } },
  { name: 'scope beyond the subject', subject: { scopes: ['a'], defaultAudiences: [] }, audiences: ['sis'], scopes: ['b'], error: [InvalidScope, 'scope "b" is not allowed by the subject token'] },
  { name: 'scope beyond the client', client: { ...client, scopes: new Set(['a']) }, audiences: ['sis'], scopes: ['b'], error: [InvalidScope, 'scope "b" is not allowed by the client'] },
  { name: 'scope beyond the audience', audiences: ['rep'], scopes: ['c'], error: [InvalidScope, 'scope "c" is not allowed by the audience policy'] },
  { name: 'multi-audience: union of audience scopes', audiences: ['sis', 'rep'], scopes: ['c'], want: { aud: ['sis', 'rep'], scope: ['c'], ttl: 60 } },
  { name: 'duplicates collapse', audiences: ['sis', 'sis'], scopes: ['a', 'a'], want: { aud: ['sis'], scope: ['a'], ttl: 300 } },
  { name: 'unknown audience', audiences: ['nope'], error: [InvalidTarget, 'unknown audience "nope"'] },
  { name: 'audience not allowed to the client', audiences: ['x'], error: [InvalidTarget, 'client cl may not receive audience "x"'] },
  { name: 'default audience from the subject, filtered by the client', subject: { defaultAudiences: ['x', 'rep'] }, want: { aud: ['rep'], scope: ['a', 'b'], ttl: 60 } },
  { name: "no audience requested: the client's default", client: { ...client, defaultAudience: 'rep' }, want: { aud: ['rep'], scope: ['a', 'b'], ttl: 60 } },
  { name: "the subject's allowed audience before the client's default", client: { ...client, defaultAudience: 'rep' }, subject: { defaultAudiences: ['sis'] }, want: { aud: ['sis'], scope: ['a', 'b', 'c'], ttl: 300 } },
  { name: "a subject audience the client may not receive: the client's default", client: { ...client, defaultAudience: 'sis' }, subject: { defaultAudiences: ['x'] }, want: { aud: ['sis'], scope: ['a', 'b', 'c'], ttl: 300 } },
  { name: 'no audience at all (RFC 8707 §2: invalid_target)', error: [InvalidTarget, 'no audience or resource requested, none from the subject, and client cl has no default_audience'] },
  { name: 'client ttl cap', client: { ...client, maxTtlSeconds: 30 }, audiences: ['sis'], want: { aud: ['sis'], scope: ['a', 'b', 'c'], ttl: 30 } },
  { name: 'subject remaining life caps ttl', subject: { defaultAudiences: [], expiresAt: new Date(now.getTime() + 42_000) }, audiences: ['sis'], want: { aud: ['sis'], scope: ['a', 'b', 'c'], ttl: 42 } },
  { name: 'subject with no remaining life', subject: { defaultAudiences: [], expiresAt: new Date(now.getTime() + 500) }, audiences: ['sis'], error: [InvalidGrant, 'subject token has no remaining lifetime'] },
];

describe('decideGrant: granted = requested ∩ subject ∩ client ∩ policy', () => {
  for (const c of cases) {
    it(c.name, () => {
      const run = () =>
        decideGrant({ client: c.client ?? client, subject: c.subject ?? noSubject, request: { audiences: c.audiences ?? [], scopes: c.scopes }, policy, now });
      if (c.error) {
        expect(run).toThrow(c.error[0]);
        try {
          run();
        } catch (err) {
          expect((err as OAuthError).detail).toBe(c.error[1]);
        }
        return;
      }
      const d = run();
      expect({ aud: d.aud, scope: d.scope, ttl: (d.expiresAt.getTime() - now.getTime()) / 1000 }).toEqual(c.want);
    });
  }

  it('the default ttl is used when below every cap', () => {
    const d = decideGrant({ client, subject: noSubject, request: { audiences: ['sis'], scopes: undefined }, policy, now });
    expect(d.expiresAt).toEqual(in5min);
  });
});

describe('decideActor (RFC 8693 §4.1, §4.4)', () => {
  const table: [string, Parameters<typeof decideActor>[0], Parameters<typeof decideActor>[1], unknown][] = [
    ['no actor, no act', {}, undefined, undefined],
    ['no actor keeps the existing act', { act: { sub: 'svc' } }, undefined, { sub: 'svc' }],
    ['actor becomes act', {}, { sub: 'svc', iss: 'I' }, { sub: 'svc' }],
    ['prior actor is nested', { act: { sub: 'old' } }, { sub: 'new', iss: 'I' }, { sub: 'new', act: { sub: 'old' } }],
    ['may_act names the actor', { mayAct: { sub: 'svc' } }, { sub: 'svc', iss: 'I' }, { sub: 'svc' }],
    ['may_act with matching iss', { mayAct: { sub: 'svc', iss: 'I' } }, { sub: 'svc', iss: 'I' }, { sub: 'svc' }],
  ];
  for (const [name, subject, actor, want] of table) it(name, () => expect(decideActor(subject, actor)).toEqual(want));

  it.each([
    ['another actor', { mayAct: { sub: 'svc' } }, { sub: 'mallory', iss: 'I' }],
    ['the right sub from another issuer', { mayAct: { sub: 'svc', iss: 'I' } }, { sub: 'svc', iss: 'J' }],
  ])('refuses %s than may_act names', (_n, subject, actor) => {
    expect(() => decideActor(subject, actor)).toThrow(InvalidGrant);
  });
});

describe('checkResourceIndicator (RFC 8707 §2)', () => {
  it.each(['https://api.example.edu/v1', 'urn:example:api'])('accepts %s', (r) => expect(() => checkResourceIndicator(r)).not.toThrow());
  it.each(['api', '/relative', 'https://api.example.edu/#frag'])('refuses %s', (r) => expect(() => checkResourceIndicator(r)).toThrow(InvalidTarget));
});
