import type { Context } from 'hono';
import { constantTimeEqual } from '../../core/hash.js';
import type { AppEnv } from '../../http/env.js';

/**
 * Who may connect and disconnect upstream accounts over HTTP. This is a seam: until admin sign-in with SAML
 * roles (issue 5) provides an implementation backed by admin sessions, the only one is a shared admin token
 * from `upstream_admin.token_env` / `token_file`, presented as `Authorization: Bearer …` or as the
 * `admin_token` field of the connect form (a form field, not a cookie: nothing ambient for CSRF to ride on).
 */
export interface AdminGate {
  /** The acting admin's name for the audit row, or undefined when the request proves nothing. */
  actor(c: Context<AppEnv>, form: { single(name: string): string | undefined } | undefined): string | undefined;
  /** Whether any admin can ever pass (false: the browser endpoints are off). */
  readonly enabled: boolean;
}

export function createAdminTokenGate(token: string | undefined): AdminGate {
  return {
    enabled: token !== undefined && token.length > 0,
    actor(c, form) {
      if (!token) return undefined;
      const header = c.req.header('authorization');
      const bearer = header && /^Bearer +(\S+)$/i.exec(header)?.[1];
      const presented = bearer ?? form?.single('admin_token');
      return presented !== undefined && constantTimeEqual(presented, token) ? 'admin-token' : undefined;
    },
  };
}
