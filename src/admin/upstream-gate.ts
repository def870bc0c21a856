import { getCookie } from 'hono/cookie';
import { ADMIN_COOKIE, csrfPasses, isUnsafeMethod } from './require-admin.js';
import { roleSatisfies } from './roles.js';
import type { AdminSessions } from './sessions.js';
import type { AdminGate } from '../upstream/http/admin-gate.js';

/**
 * The admin gate backed by console sessions (issue 5): a live session (cookie `ADMIN_COOKIE`) with role
 * `admin`; the actor in the audit rows is the principal's subject. State-changing requests must also pass the
 * console's CSRF checks (`csrfPasses`, shared with `requireAdmin`): the session's synchronizer token as
 * `X-CSRF-Token` or as the `csrf_token` field of the form the route already read, and Sec-Fetch-Site / Origin,
 * when sent, naming the issuer's origin. `enabled`: whether anyone can be given the `admin` role.
 */
export function createSessionAdminGate(deps: { sessions: Pick<AdminSessions, 'resume'>; origin: string; enabled: boolean }): AdminGate {
  return {
    enabled: deps.enabled,
    check(c, form) {
      const found = deps.sessions.resume(getCookie(c, ADMIN_COOKIE));
      if ('missing' in found) return { refused: 'login_required', why: found.missing };
      const admin = found.principal;
      if (!roleSatisfies(admin.role, 'admin')) return { refused: 'forbidden', subject: admin.subject };
      if (isUnsafeMethod(c.req.method)) {
        const evidence = { secFetchSite: c.req.header('sec-fetch-site'), origin: c.req.header('origin'), token: c.req.header('x-csrf-token') ?? form?.single('csrf_token') };
        if (!csrfPasses(evidence, admin.csrfToken, deps.origin)) return { refused: 'csrf', subject: admin.subject };
      }
      return { actor: admin.subject, csrfToken: admin.csrfToken, via: 'session' };
    },
  };
}
