import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { constantTimeEqual } from '../core/hash.js';
import { PayloadTooLarge } from '../core/oauth-errors.js';
import type { AppEnv } from '../http/env.js';
import { ClientAborted } from '../http/read-body.js';
import { readForm } from '../http/read-form.js';
import { adminRefusalResponse } from './responses.js';
import { roleSatisfies, type AdminRole } from './roles.js';
import type { AdminPrincipal, AdminSessions } from './sessions.js';

/**
 * The console session cookie. `__Host-`: only this exact host can set it (no Domain, Path=/, Secure), so a
 * sibling subdomain cannot plant one. HttpOnly (no script reads it); SameSite=Lax: sent on the top-level GET that
 * follows the ACS's 303, withheld from cross-site POSTs. Not named `SimpleSAML*` (an IdP's cookies may reach us).
 */
export const ADMIN_COOKIE = '__Host-campus_sts_admin';

/** Hono env of handlers behind `requireAdmin`: `c.get('admin')` is the signed-in principal. */
export interface AdminEnv {
  Variables: AppEnv['Variables'] & { admin: AdminPrincipal };
}

/** `requireAdmin('auditor')` / `requireAdmin('admin')`: the guard every admin route mounts. */
export type RequireAdmin = (role: AdminRole) => MiddlewareHandler<AdminEnv>;

const UNSAFE = /^(?:POST|PUT|PATCH|DELETE)$/;
const MAX_FORM_BYTES = 64 * 1024;

/**
 * The guard for admin routes (ours, and the upstream connection endpoints): a live console session with at
 * least `role`, and for every state-changing request the CSRF checks below. Refusals are answered here (never
 * thrown): no session → 303 to sign-in for page GETs, else 401; too weak a role → 403; CSRF → 403.
 *
 * CSRF, in depth. SameSite=Lax already keeps the cookie off cross-site POSTs, but "site" is the registrable
 * domain: a survey page on survey.example.edu is same-site with sts.example.edu and would get the cookie. So:
 * (1) a synchronizer token bound to the session, echoed as form field `csrf_token` or header `X-CSRF-Token`,
 * required on every unsafe method, whatever the content type; (2) when the browser says where the request comes
 * from (Sec-Fetch-Site, Origin), it must be this very origin (the issuer's, not the Host header, which a proxy
 * may rewrite). (2) alone would pass non-browser clients that send neither header; (1) alone is enough but (2)
 * is cheap and stops a leaked token from being usable cross-origin.
 */
export function createRequireAdmin(deps: { sessions: AdminSessions; origin: string }): RequireAdmin {
  return (role) =>
    async function requireAdmin(c, next) {
      const found = await deps.sessions.resume(getCookie(c, ADMIN_COOKIE));
      if ('missing' in found) return adminRefusalResponse(c, { kind: 'login_required', why: found.missing });
      const admin = found.principal;
      if (!roleSatisfies(admin.role, role)) return adminRefusalResponse(c, { kind: 'forbidden', need: role });
      if (isUnsafeMethod(c.req.method) && !(await passesCsrf(c, admin.csrfToken, deps.origin))) return adminRefusalResponse(c, { kind: 'csrf' });
      c.set('admin', admin);
      await next();
      c.header('Cache-Control', 'no-store');
      c.header('Vary', 'Cookie');
    };
}

/** Whether a method changes state (and so needs the CSRF checks). */
export const isUnsafeMethod = (method: string): boolean => UNSAFE.test(method);

/** What the CSRF checks look at: the fetch-metadata and Origin headers, and the synchronizer token presented. */
export interface CsrfEvidence {
  secFetchSite: string | undefined;
  origin: string | undefined;
  /** `X-CSRF-Token`, else the `csrf_token` form field. */
  token: string | undefined;
}

/**
 * The CSRF rules (see `createRequireAdmin`), pure: when the browser says where the request comes from it must
 * be `origin` (the issuer's), and the session's synchronizer token must be presented. Shared with the upstream
 * connect endpoints, which read the form themselves.
 */
export function csrfPasses(evidence: CsrfEvidence, expected: string, origin: string): boolean {
  return sameOrigin(evidence, origin) && evidence.token !== undefined && constantTimeEqual(evidence.token, expected);
}

/** Sec-Fetch-Site and Origin, when sent, say this very origin. */
function sameOrigin(evidence: Pick<CsrfEvidence, 'secFetchSite' | 'origin'>, origin: string): boolean {
  if (evidence.secFetchSite !== undefined && evidence.secFetchSite !== 'same-origin') return false;
  return evidence.origin === undefined || evidence.origin === origin;
}

async function passesCsrf(c: Parameters<MiddlewareHandler<AdminEnv>>[0], expected: string, origin: string): Promise<boolean> {
  const evidence: CsrfEvidence = { secFetchSite: c.req.header('sec-fetch-site'), origin: c.req.header('origin'), token: c.req.header('x-csrf-token') };
  // Refuse a cross-origin request before reading its body.
  if (!sameOrigin(evidence, origin)) return false;
  // The token comes in the header, or as a field of a URL-encoded form (what the console's pages post), read
  // through the one capped reader: an oversized form is a 413, never buffered. Other bodies need the header.
  if (evidence.token === undefined && /^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) {
    try {
      evidence.token = (await readForm(c, MAX_FORM_BYTES)).single('csrf_token');
    } catch (err) {
      if (err instanceof PayloadTooLarge || err instanceof ClientAborted) throw err;
      return false; // not a readable form (bad encoding, a repeated field): no token
    }
  }
  return csrfPasses(evidence, expected, origin);
}
