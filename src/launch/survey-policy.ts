import type { Claims } from '../saml/attributes.js';

/**
 * Pure survey policy. `require`: every listed claim must carry at least one of the listed values
 * (any-of per claim, all claims). Returns the first unmet rule, for the refusal page and the audit row.
 */
export function unmetRequirement(require: Readonly<Record<string, readonly string[]>>, claims: Claims): { claim: string; wanted: readonly string[] } | undefined {
  for (const [claim, wanted] of Object.entries(require)) {
    const have = claims[claim];
    const values = have === undefined ? [] : Array.isArray(have) ? have : [have];
    if (!values.some((v) => wanted.includes(v))) return { claim, wanted };
  }
  return undefined;
}

/**
 * The redeem answer: a flat object of string values with keys of `[A-Za-z0-9_]` (what a Qualtrics Web Service
 * element maps into embedded data). Multi-valued claims are joined with ",".
 */
export function redeemFields(token: { jwt: string; expiresAt: Date; sub: string }, released: Claims): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(released)) fields[name] = Array.isArray(value) ? value.join(',') : value;
  return {
    ...fields,
    sub: token.sub,
    token: token.jwt,
    token_expires_at: token.expiresAt.toISOString(),
  };
}
