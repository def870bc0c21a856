// Who may launch a survey (any-of per claim, every claim), and the flat redeem answer.
import { describe, expect, it } from 'vitest';
import { redeemFields, unmetRequirement } from './survey-policy.js';

describe('unmetRequirement: any-of per claim, all claims', () => {
  const require = { affiliation: ['student', 'staff'], entitlement: ['urn:survey:eval'] };
  it.each<[string, Record<string, string | string[]>, ReturnType<typeof unmetRequirement>]>([
    ['one of the values of each claim', { affiliation: ['member', 'staff'], entitlement: 'urn:survey:eval' }, undefined],
    ['a single-valued claim', { affiliation: 'student', entitlement: ['x', 'urn:survey:eval'] }, undefined],
    ['none of the values', { affiliation: ['member'], entitlement: 'urn:survey:eval' }, { claim: 'affiliation', wanted: ['student', 'staff'] }],
    ['a missing claim', { affiliation: 'student' }, { claim: 'entitlement', wanted: ['urn:survey:eval'] }],
    ['an empty multi-valued claim', { affiliation: [], entitlement: 'urn:survey:eval' }, { claim: 'affiliation', wanted: ['student', 'staff'] }],
    ['the first unmet rule when several are', {}, { claim: 'affiliation', wanted: ['student', 'staff'] }],
    ['a value that only contains a wanted one', { affiliation: 'student@univ.edu', entitlement: 'urn:survey:eval' }, { claim: 'affiliation', wanted: ['student', 'staff'] }],
  ])('%s', (_name, claims, want) => {
    expect(unmetRequirement(require, claims)).toEqual(want);
  });

  it('lets everyone launch a survey without requirements', () => {
    expect(unmetRequirement({}, {})).toBeUndefined();
  });
});

describe('redeemFields', () => {
  it('flattens released claims to strings and never lets one override sub, token or its expiry', () => {
    const fields = redeemFields(
      { jwt: 'h.p.s', expiresAt: new Date('2026-11-23T10:05:00.000Z'), sub: 'pairwise-1' },
      { displayName: 'Alice', affiliation: ['student', 'member'], sub: 'alice@univ.edu', token: 'forged' },
    );
    expect(fields).toEqual({ displayName: 'Alice', affiliation: 'student,member', sub: 'pairwise-1', token: 'h.p.s', token_expires_at: '2026-11-23T10:05:00.000Z' });
  });
});
