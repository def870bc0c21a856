import { z } from 'zod';
import { claimName, id } from './primitives.js';

/**
 * The admin console (audit review) and audit housekeeping. Admins sign in through a configured IdP; there are
 * no local passwords. A role comes from the values of one claim (after the IdP's attribute map), e.g.
 * eduPersonEntitlement: `auditor` reads the audit log; `admin` also manages upstream connections and signs
 * checkpoints on demand (key rotation is the operator's CLI verb). Someone holding both values is an admin.
 */
const entitlementValue = z.string().min(1).max(512);

export const adminSchema = z
  .strictObject({
    /** The IdP admins sign in with; may be omitted when exactly one IdP is configured. */
    idp: id.optional(),
    /** The claim whose values grant a role. Default `entitlement` (eduPersonEntitlement). */
    roles_claim: claimName.default('entitlement'),
    /** Claim values per role (exact match). Empty lists: nobody can sign in to the console. */
    roles: z
      .strictObject({
        auditor: z.array(entitlementValue).default([]),
        admin: z.array(entitlementValue).default([]),
      })
      .prefault({}),
    session: z
      .strictObject({
        /** A session unused this long ends. Default 900 (15 min). */
        idle_timeout_seconds: z.number().int().min(60).max(4 * 3600).default(900),
        /** A session ends this long after sign-in, used or not. Default 28800 (8 h). */
        absolute_timeout_seconds: z.number().int().min(300).max(24 * 3600).default(8 * 3600),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /**
         * How long audit rows are kept; `campus-sts audit prune` removes older ones (the chain stays verifiable
         * from the oldest kept row). No default: nothing is removed until you decide (records schedules differ).
         */
        retention_days: z.number().int().min(1).max(36_500).optional(),
        /** How often a signed checkpoint of the chain head is made; 0 turns periodic checkpoints off. Default 3600. */
        checkpoint_interval_seconds: z.union([z.literal(0), z.number().int().min(60).max(7 * 86_400)]).default(3600),
      })
      .prefault({}),
  })
  .prefault({});

export type AdminConfig = z.infer<typeof adminSchema>;

/** Cross-field checks of the admin section against the configured IdPs (run by the config's superRefine). */
export function checkAdminConfig(admin: AdminConfig, idpIds: readonly string[], ctx: z.RefinementCtx): void {
  if (admin.session.idle_timeout_seconds > admin.session.absolute_timeout_seconds) {
    ctx.addIssue({ code: 'custom', path: ['admin', 'session', 'idle_timeout_seconds'], message: 'must not exceed admin.session.absolute_timeout_seconds' });
  }
  if (admin.idp !== undefined && !idpIds.includes(admin.idp)) {
    ctx.addIssue({ code: 'custom', path: ['admin', 'idp'], message: `unknown idp "${admin.idp}"` });
  }
  const granting = admin.roles.auditor.length + admin.roles.admin.length > 0;
  if (granting && admin.idp === undefined && idpIds.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['admin', 'idp'], message: idpIds.length === 0 ? 'admin roles need an idp to sign in with (none configured)' : 'name the idp (there is not exactly one configured)' });
  }
}
