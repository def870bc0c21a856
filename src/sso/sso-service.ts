import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { sha256b64u } from '../core/hash.js';
import type { Db, Tx } from '../db/client.js';
import { commitAudited } from '../audit/commit.js';
import { SamlRefusal, samlRefusalText } from '../saml/errors.js';
import type { SamlLogin, SamlServiceProvider } from '../saml/types.js';
import { BrowserRefusal, samlLoginRefusal } from './login-refusal.js';
import type { PendingLogin, PendingLogins } from './pending-logins.js';

export interface SsoDeps {
  sp: SamlServiceProvider;
  pending: PendingLogins;
  db: Db;
  audit: AuditLog;
  clock: Clock;
  loginTtlSeconds: number;
}

export interface StartLogin {
  idpId: string;
  purpose: 'launch' | 'login' | 'admin';
  /** The survey id (launch) or the return path (login, admin). */
  target: string;
  /** The nonce held in this browser's login cookie. */
  browserNonce: string;
  requestId: string;
}

/** A response that passed every SAML check, with the pending login it answers (none when unsolicited). */
export interface AcceptedLogin {
  login: SamlLogin;
  pending: PendingLogin | undefined;
  bindingHash: string | undefined;
}

/** Detail of the `replayed` refusal of a login whose pending request another response already consumed. */
export const PENDING_CONSUMED = 'pending login already consumed';

/** The audit fields every login row shares. */
export function loginAuditFields(login: SamlLogin): Pick<AuditEvent, 'subject'> & { data: { idp: string; assertion: string; dropped?: string[] } } {
  return {
    subject: login.subject,
    data: {
      idp: login.idpId,
      assertion: sha256b64u(login.assertionId),
      ...(login.dropped.length > 0 ? { dropped: login.dropped.map((d) => `${d.attribute}: ${d.reason}`) } : {}),
    },
  };
}

/** Runs browser-flow work; a BrowserRefusal that carries an unwritten audit row gets it written, then rethrown. */
export async function withBrowserRefusalAudit<T>(deps: { db: Db; audit: AuditLog }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BrowserRefusal && err.audit) {
      const event = err.audit;
      await commitAudited(deps, (tx) => deps.audit.append(tx, event));
    }
    throw err;
  }
}

/**
 * The SAML side of browser sign-in: starting an SP-initiated login bound to this browser, and accepting the
 * IdP's response at the ACS. What the login is *for* (a survey launch, a plain login) is decided by the caller.
 */
export function createSsoService(deps: SsoDeps) {
  return {
    async startLogin(req: StartLogin): Promise<string> {
      const { redirectUrl, requestId: authnRequestId } = await deps.sp.createLoginRequest(req.idpId);
      const now = deps.clock.now();
      await commitAudited(deps, (tx) => {
        deps.pending.remember(tx, {
          id: authnRequestId,
          idpId: req.idpId,
          bindingHash: sha256b64u(req.browserNonce),
          purpose: req.purpose,
          target: req.target,
          createdAt: now,
          expiresAt: new Date(now.getTime() + deps.loginTtlSeconds * 1000),
        });
        deps.audit.append(tx, {
          event: 'saml.start',
          outcome: 'success',
          requestId: req.requestId,
          data: { idp: req.idpId, purpose: req.purpose, ...(req.purpose === 'launch' ? { survey: req.target } : {}) },
        });
      });
      return redirectUrl;
    },

    /**
     * Validates a Response posted to the ACS. The InResponseTo it answers must be a pending login of *this*
     * browser (its cookie nonce); the engine compares that id with the signed InResponseTo.
     */
    async acceptResponse(samlResponse: string, browserNonce: string | undefined, requestId: string): Promise<AcceptedLogin> {
      const now = deps.clock.now();
      const bindingHash = browserNonce ? sha256b64u(browserNonce) : undefined;
      let pending: PendingLogin | undefined;
      try {
        const login = await deps.sp.validatePostResponse(samlResponse, {
          resolveRequestId: (inResponseTo) => {
            pending = inResponseTo && bindingHash ? deps.pending.find(inResponseTo, bindingHash, now) : undefined;
            return pending?.id ?? null;
          },
        });
        return { login, pending, bindingHash };
      } catch (err) {
        if (!(err instanceof SamlRefusal)) throw err;
        throw samlLoginRefusal(err.reason, err.detail, {
          requestId,
          data: { ...(pending ? { idp: pending.idpId, purpose: pending.purpose as 'launch' | 'login' | 'admin' } : {}) },
        });
      }
    },

    /** A login that is not a survey launch: consume the pending login and record it. */
    async completePlainLogin(accepted: AcceptedLogin, requestId: string): Promise<void> {
      const { login, pending, bindingHash } = accepted;
      const now = deps.clock.now();
      const fields = loginAuditFields(login);
      await commitAudited(deps, (tx) => {
        if (pending && !deps.pending.consume(tx, pending.id, bindingHash!, now)) {
          throw samlLoginRefusal('replayed', PENDING_CONSUMED, { requestId, subject: login.subject, data: { ...fields.data, purpose: 'login' } });
        }
        deps.audit.append(tx, { event: 'saml.login', outcome: 'success', requestId, subject: login.subject, data: { ...fields.data, purpose: 'login' } });
      });
    },

    /**
     * A sign-in to the admin console (purpose `admin`; never an unsolicited response). Consumes the pending
     * login and records the SAML login; `decide` (the admin module) runs in the same transaction and creates
     * the session or records the refusal. Returns undefined when the pending login was already consumed (a
     * replay), after recording that refusal.
     */
    completeAdminLogin<T>(accepted: AcceptedLogin, requestId: string, decide: (tx: Tx, login: SamlLogin) => T): Promise<T | undefined> {
      const { login, pending, bindingHash } = accepted;
      const now = deps.clock.now();
      const data = { ...loginAuditFields(login).data, purpose: 'admin' as const };
      return commitAudited(deps, (tx) => {
        if (!pending || pending.purpose !== 'admin' || !deps.pending.consume(tx, pending.id, bindingHash!, now)) {
          deps.audit.append(tx, { event: 'saml.login', outcome: 'refused', requestId, subject: login.subject, reason: samlRefusalText('replayed', PENDING_CONSUMED), data });
          return undefined;
        }
        deps.audit.append(tx, { event: 'saml.login', outcome: 'success', requestId, subject: login.subject, data });
        return decide(tx, login);
      });
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
