// The per-IdP freshness caps: defaults and bounds as the zod schema applies them.
import { describe, expect, it } from 'vitest';
import { idpSchema } from './saml.js';

const idp = (over: Record<string, unknown> = {}) => ({ id: 'campus', metadata: { file: './idp.xml' }, signed: 'response', subject: { source: 'subject-id' }, ...over });

describe('idps[] assertion freshness', () => {
  it('caps IssueInstant at 300 s by default and leaves AuthnInstant uncapped', () => {
    const parsed = idpSchema.parse(idp());
    expect([parsed.max_assertion_age_seconds, parsed.max_authn_age_seconds]).toEqual([300, undefined]);
  });

  it('takes both caps when configured', () => {
    const parsed = idpSchema.parse(idp({ max_assertion_age_seconds: 120, max_authn_age_seconds: 28_800 }));
    expect([parsed.max_assertion_age_seconds, parsed.max_authn_age_seconds]).toEqual([120, 28_800]);
  });

  it.each([
    ['max_assertion_age_seconds', 0],
    ['max_assertion_age_seconds', 3601],
    ['max_assertion_age_seconds', 12.5],
    ['max_authn_age_seconds', 59],
    ['max_authn_age_seconds', 30 * 86_400 + 1],
  ])('refuses %s = %s', (key, value) => {
    const result = idpSchema.safeParse(idp({ [key]: value }));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([key]);
  });
});
