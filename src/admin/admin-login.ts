import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import type { AppEnv } from '../http/env.js';
import { commitAudited } from '../audit/commit.js';
import type { Tx } from '../db/tx.js';
import { BrowserRefusal } from '../http/browser-refusal.js';
import type { SamlLogin } from '../saml/types.js';
import { ADMIN_COOKIE } from './require-admin.js';
import { safeReturnPath } from './responses.js';
import { roleFromClaims, type RolePolicy } from './roles.js';
import type { AdminPrincipal, AdminSessions } from './sessions.js';

export interface AdminLoginDeps {
  audit: AuditLog;
  clock: Clock;
  sessions: AdminSessions;
  policy: RolePolicy;
  /** The IdP admins sign in with (`admin.idp`, or the only IdP); undefined when none is configured. */
  idpId: string | undefined;
}

/** Port: starts a sign-in bound to this browser (the SSO feature's, built after this one; handed in by compose/). */
export type AdminSignIn = (c: Context<AppEnv>, req: { idpId: string; purpose: 'admin'; target: string }) => Promise<Response>;

/**
 * A console sign-in the SSO feature finishes (this feature is its `LoginCompletion` for purpose `admin`):
 * `finish` consumes the pending login and writes the `saml.login` row, then runs our work in that transaction.
 */
export interface AdminLoginToFinish {
  login: SamlLogin;
  target: string | undefined;
  requestId: string;
  finish<T>(extra: Record<string, never>, work: (tx: Tx, row: { idp: string; assertion: string }) => Promise<T>): Promise<T>;
}

const NO_IDP = {
  title: 'Console sign-in is not set up',
  message: 'This service has no identity provider configured for the admin console.',
  whatToDo: 'The operators need to configure idps and admin.idp; see campus-sts.example.yaml.',
};

/**
 * Console sign-in through the campus IdP (no local passwords): `/admin/login` starts an SP-initiated login
 * with purpose `admin`; at the ACS the role comes from the configured claim values, and a session is created
 * in the transaction that records the login. No role: a friendly refusal page and an `admin.login` refused row.
 */
export function createAdminLogin(deps: AdminLoginDeps) {
  return {
    async start(c: Context<AppEnv>, signIn: AdminSignIn | undefined): Promise<Response> {
      const requestId = c.get('requestId');
      const target = safeReturnPath(c.req.query('return'));
      if (!signIn || !deps.idpId) {
        throw new BrowserRefusal(404, NO_IDP, 'admin sign-in without an idp', {
          event: 'admin.login', outcome: 'refused', requestId, reason: 'no idp configured for admin sign-in', data: { idp: 'none' },
        });
      }
      return signIn(c, { idpId: deps.idpId, purpose: 'admin', target });
    },

    /** The login completion for purpose `admin` (compose/ registers it with the SSO feature). */
    completion: {
      purpose: 'admin' as const,
      accepts: () => true,
      retry: 'Open the console again at /admin/login.',
      complete: async (c: Context<AppEnv>, { login, target, requestId, finish }: AdminLoginToFinish): Promise<Response> => {
        const refuse = (reason: string) => ({ refused: reason }) as const;
        const outcome = await finish({}, async (tx, row) => {
          const base = { requestId, subject: login.subject } as const;
          const data = { idp: row.idp, assertion: row.assertion };
          if (login.idpId !== deps.idpId) {
            await deps.audit.append(tx, { event: 'admin.login', outcome: 'refused', ...base, reason: `signed in at idp "${login.idpId}", not the admin idp`, data });
            return refuse('wrong idp');
          }
          const role = roleFromClaims(login.claims, deps.policy);
          if (!role) {
            await deps.audit.append(tx, { event: 'admin.login', outcome: 'refused', ...base, reason: `no admin role: ${deps.policy.claim} has none of the configured values`, data });
            return refuse('no role');
          }
          const session = await deps.sessions.create(tx, { subject: login.subject, role, idpId: login.idpId });
          await deps.audit.append(tx, { event: 'admin.login', outcome: 'success', ...base, data: { ...data, role } });
          return { session };
        });
        if ('refused' in outcome) throw noAccess(login.subject);
        setCookie(c, ADMIN_COOKIE, outcome.session.id, { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' });
        c.header('Cache-Control', 'no-store');
        return c.redirect(safeReturnPath(target), 303);
      },
    },

    /** Sign-out: the session row goes, the cookie is cleared, and it is recorded. */
    async logout<E extends AppEnv>(c: Context<E>, admin: AdminPrincipal): Promise<Response> {
      await commitAudited(deps, async (tx) => {
        await deps.sessions.end(tx, admin.sessionKey);
        await deps.audit.append(tx, { event: 'admin.logout', outcome: 'success', requestId: c.get('requestId'), subject: admin.subject, data: { role: admin.role } });
      });
      setCookie(c, ADMIN_COOKIE, '', { path: '/', httpOnly: true, secure: true, sameSite: 'Lax', maxAge: 0 });
      return c.redirect('/admin/signed-out', 303);
    },
  };
}

export type AdminLogin = ReturnType<typeof createAdminLogin>;

function noAccess(subject: string): BrowserRefusal {
  return new BrowserRefusal(
    403,
    {
      title: 'No access to the audit console',
      message: `You signed in as ${subject}, but your account has no role in the campus-sts admin console.`,
      whatToDo: 'If you need access (auditors, IRB and privacy staff), ask the identity team for the console entitlement and quote the reference below.',
    },
    'no admin role',
  );
}
