import { describe, expect, it } from 'vitest';
import { roleFromClaims, roleSatisfies, type RolePolicy } from './roles.js';

const policy: RolePolicy = {
  claim: 'entitlement',
  values: { auditor: ['urn:mace:example.edu:campus-sts:auditor'], admin: ['urn:mace:example.edu:campus-sts:admin'] },
};

describe('roleFromClaims', () => {
  const cases: [string, Record<string, string | string[]>, 'auditor' | 'admin' | undefined][] = [
    ['no claim', {}, undefined],
    ['an unrelated entitlement', { entitlement: ['urn:mace:dir:entitlement:common-lib-terms'] }, undefined],
    ['the auditor value', { entitlement: ['urn:x', 'urn:mace:example.edu:campus-sts:auditor'] }, 'auditor'],
    ['the admin value as a single string', { entitlement: 'urn:mace:example.edu:campus-sts:admin' }, 'admin'],
    ['both values (admin wins)', { entitlement: ['urn:mace:example.edu:campus-sts:auditor', 'urn:mace:example.edu:campus-sts:admin'] }, 'admin'],
    ['a prefix of the value', { entitlement: ['urn:mace:example.edu:campus-sts'] }, undefined],
    ['the value in another claim', { affiliation: ['urn:mace:example.edu:campus-sts:admin'] }, undefined],
    ['a different case', { entitlement: ['URN:MACE:EXAMPLE.EDU:CAMPUS-STS:ADMIN'] }, undefined],
  ];
  for (const [name, claims, role] of cases) it(`${name} → ${role ?? 'no role'}`, () => expect(roleFromClaims(claims, policy)).toBe(role));
});

describe('roleSatisfies', () => {
  it('admin covers auditor, not the other way round', () => {
    expect(roleSatisfies('admin', 'auditor')).toBe(true);
    expect(roleSatisfies('admin', 'admin')).toBe(true);
    expect(roleSatisfies('auditor', 'auditor')).toBe(true);
    expect(roleSatisfies('auditor', 'admin')).toBe(false);
  });
});
