import type { Claims } from '../saml/attributes.js';

export const ADMIN_ROLES = ['auditor', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Which claim values grant which role (from the `admin` config section). */
export interface RolePolicy {
  claim: string;
  values: Readonly<Record<AdminRole, readonly string[]>>;
}

/**
 * The role a signed-in person gets from their claims: `admin` when any admin value is present, else
 * `auditor` when any auditor value is, else none. Exact string match, no prefixes or patterns. Pure.
 */
export function roleFromClaims(claims: Claims, policy: RolePolicy): AdminRole | undefined {
  const have = claims[policy.claim];
  const values = have === undefined ? [] : Array.isArray(have) ? have : [have];
  if (values.some((v) => policy.values.admin.includes(v))) return 'admin';
  if (values.some((v) => policy.values.auditor.includes(v))) return 'auditor';
  return undefined;
}

/** `admin` may do everything an `auditor` may. */
export function roleSatisfies(have: AdminRole, need: AdminRole): boolean {
  return have === 'admin' || need === 'auditor';
}
