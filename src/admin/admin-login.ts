import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import { sha256b64u } from '../core/hash.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/env.js';
import { browserNonce, type AdminLoginCompletion } from '../sso/routes.js';
import { commitAudited } from '../audit/commit.js';
import { BrowserRefusal } from '../sso/login-refusal.js';
import type { SsoService } from '../sso/sso-service.js';
import { ADMIN_COOKIE } from './require-admin.js';
import { safeReturnPath } from './responses.js';
import { roleFromClaims, type RolePolicy } from './roles.js';
import type { AdminPrincipal, AdminSessions } from './sessions.js';

export interface AdminLoginDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  sessions: AdminSessions;
  policy: RolePolicy;
  /** The IdP admins sign in with (`admin.idp`, or the only IdP); undefined when none is configured. */
  idpId: string | undefined;
}

/** What starting a sign-in needs from the SAML module (built after this one: it calls `complete`). */
export interface AdminSignIn {
  sso: SsoService;
  loginTtlSeconds: number;
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
      const nonce = browserNonce(c, signIn.loginTtlSeconds);
      const url = await signIn.sso.startLogin({ idpId: deps.idpId, purpose: 'admin', target, browserNonce: nonce, requestId });
      c.header('Cache-Control', 'no-store');
      return c.redirect(url, 303);
    },

    /** The ACS hook (purpose `admin`). */
    complete: (async (c, accepted, requestId, sso) => {
      const { login } = accepted;
      const refuse = (reason: string) => ({ refused: reason }) as const;
      const outcome = await sso.completeAdminLogin(accepted, requestId, (tx, signedIn) => {
        const base = { requestId, subject: signedIn.subject } as const;
        const data = { idp: signedIn.idpId, assertion: sha256b64u(signedIn.assertionId) };
        if (signedIn.idpId !== deps.idpId) {
          deps.audit.append(tx, { event: 'admin.login', outcome: 'refused', ...base, reason: `signed in at idp "${signedIn.idpId}", not the admin idp`, data });
          return refuse('wrong idp');
        }
        const role = roleFromClaims(signedIn.claims, deps.policy);
        if (!role) {
          deps.audit.append(tx, { event: 'admin.login', outcome: 'refused', ...base, reason: `no admin role: ${deps.policy.claim} has none of the configured values`, data });
          return refuse('no role');
        }
        const session = deps.sessions.create(tx, { subject: signedIn.subject, role, idpId: signedIn.idpId });
        deps.audit.append(tx, { event: 'admin.login', outcome: 'success', ...base, data: { ...data, role } });
        return { session };
      });
      if (!outcome) throw replayed();
      if ('refused' in outcome) throw noAccess(login.subject);
      setCookie(c, ADMIN_COOKIE, outcome.session.id, { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' });
      c.header('Cache-Control', 'no-store');
      return c.redirect(safeReturnPath(accepted.pending?.target ?? undefined), 303);
    }) satisfies AdminLoginCompletion,

    /** Sign-out: the session row goes, the cookie is cleared, and it is recorded. */
    async logout<E extends AppEnv>(c: Context<E>, admin: AdminPrincipal): Promise<Response> {
      await commitAudited(deps, (tx) => {
        deps.sessions.end(tx, admin.sessionKey);
        deps.audit.append(tx, { event: 'admin.logout', outcome: 'success', requestId: c.get('requestId'), subject: admin.subject, data: { role: admin.role } });
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

function replayed(): BrowserRefusal {
  return new BrowserRefusal(
    400,
    { title: 'This sign-in was already used', message: 'Each sign-in can be used once.', whatToDo: 'Open the console again at /admin/login.' },
    'pending login already consumed',
  );
}
