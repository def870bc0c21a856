import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import { sha256b64u } from '../core/hash.js';
import type { Tx } from '../db/tx.js';
import { commitAudited } from '../audit/commit.js';
import { SamlRefusal } from '../saml/errors.js';
import type { SamlLogin, SamlServiceProvider } from '../saml/types.js';
import { samlLoginRefusal } from './login-refusal.js';
import type { PendingLogin, PendingLoginStore } from './pending-logins.js';

export interface SsoDeps {
  sp: SamlServiceProvider;
  pending: PendingLoginStore;
  audit: AuditLog;
  clock: Clock;
  loginTtlSeconds: number;
}

export interface StartLogin {
  idpId: string;
  purpose: LoginPurpose;
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

export type LoginPurpose = 'launch' | 'login' | 'admin';

/** What a purpose adds to its `saml.login` row. */
export interface LoginRow {
  purpose: LoginPurpose;
  survey?: string;
}

/**
 * The data of a `saml.login` row (a launch's `launch.issue` rows repeat it). `start_request`: our id of the
 * request that started the sign-in, which its `saml.start` row carries — the exact link between the two.
 */
export type LoginRowData = { idp: string; assertion: string; dropped?: string[]; start_request?: string } & LoginRow;

/** What every login row records of the login: the IdP, the assertion (hashed), attributes dropped and why, its start. */
function loginRowData(login: SamlLogin, row: LoginRow, pending: PendingLogin | undefined): LoginRowData {
  return {
    idp: login.idpId,
    assertion: sha256b64u(login.assertionId),
    ...(login.dropped.length > 0 ? { dropped: login.dropped.map((d) => `${d.attribute}: ${d.reason}`) } : {}),
    ...row,
    ...(pending?.startRequestId ? { start_request: pending.startRequestId } : {}),
  };
}

/** What a refused answer's row records of the pending login it named (its IdP, purpose, survey and start). */
function pendingRowData(pending: PendingLogin | undefined) {
  if (!pending) return {};
  return {
    idp: pending.idpId,
    purpose: pending.purpose as LoginPurpose,
    ...(pending.purpose === 'launch' && pending.target ? { survey: pending.target } : {}),
    ...(pending.startRequestId ? { start_request: pending.startRequestId } : {}),
  };
}

/** The detail of the `login_expired` refusal: when the sign-in expired, and the TTL it had. */
function expiredDetail(pending: PendingLogin): string {
  const ttl = Math.round((pending.expiresAt.getTime() - pending.createdAt.getTime()) / 1000);
  return `answered after the sign-in expired at ${pending.expiresAt.toISOString()} (login_ttl ${ttl} s)`;
}

/**
 * The SAML side of browser sign-in: starting an SP-initiated login bound to this browser, and accepting the
 * IdP's response at the ACS. What the login is *for* (a survey launch, a plain login) is decided by the caller.
 */
// long: closure scope of the SSO module: its body is the object of methods over deps.
export function createSsoService(deps: SsoDeps) {
  return {
    async startLogin(req: StartLogin): Promise<string> {
      const { redirectUrl, requestId: authnRequestId } = await deps.sp.createLoginRequest(req.idpId);
      const now = deps.clock.now();
      await commitAudited(deps, async (tx) => {
        await deps.pending.remember(tx, {
          id: authnRequestId,
          idpId: req.idpId,
          bindingHash: sha256b64u(req.browserNonce),
          purpose: req.purpose,
          target: req.target,
          startRequestId: req.requestId,
          createdAt: now,
          expiresAt: new Date(now.getTime() + deps.loginTtlSeconds * 1000),
        });
        await deps.audit.append(tx, {
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
     * browser (its cookie nonce); the engine compares that id with the signed InResponseTo. One that expired
     * before its answer came (still kept) is checked like a live one, then refused as `login_expired`: a
     * verified late answer, told apart from one this browser never asked for (`in_response_to_mismatch`).
     */
    async acceptResponse(samlResponse: string, browserNonce: string | undefined, requestId: string): Promise<AcceptedLogin> {
      const now = deps.clock.now();
      const bindingHash = browserNonce ? sha256b64u(browserNonce) : undefined;
      let pending: PendingLogin | undefined;
      let login: SamlLogin;
      try {
        login = await deps.sp.validatePostResponse(samlResponse, {
          resolveRequestId: async (inResponseTo) => {
            pending = inResponseTo && bindingHash ? await deps.pending.find(inResponseTo, bindingHash) : undefined;
            return pending?.id ?? null;
          },
        });
      } catch (err) {
        if (!(err instanceof SamlRefusal)) throw err;
        throw samlLoginRefusal(err.reason, err.detail, { requestId, data: pendingRowData(pending) });
      }
      if (pending && pending.expiresAt <= now) {
        throw samlLoginRefusal('login_expired', expiredDetail(pending), { requestId, subject: login.subject, data: pendingRowData(pending) });
      }
      return { login, pending, bindingHash };
    },

    /**
     * The one login-completion path, whatever the login is for (a survey launch, a console sign-in, a plain
     * sign-in): in one transaction, consumes the pending login (a second response for it is the `replayed`
     * refusal, rolled back and recorded), writes the `saml.login` row, and runs the purpose's own `work` with
     * that row's data. Settles after COMMIT. `retry`: what the replay refusal page tells the person to do.
     */
    finishLogin<T>(accepted: AcceptedLogin, requestId: string, row: LoginRow, work: (tx: Tx, data: LoginRowData) => Promise<T>, retry?: string): Promise<T> {
      const { login, pending, bindingHash } = accepted;
      const now = deps.clock.now();
      const data = loginRowData(login, row, pending);
      return commitAudited(deps, async (tx) => {
        if (pending && !(await deps.pending.consume(tx, pending.id, bindingHash!, now))) {
          throw samlLoginRefusal('replayed', PENDING_CONSUMED, { requestId, subject: login.subject, data }, 400, retry);
        }
        await deps.audit.append(tx, { event: 'saml.login', outcome: 'success', requestId, subject: login.subject, data });
        return work(tx, data);
      });
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
