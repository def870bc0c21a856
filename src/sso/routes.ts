import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AuditLog } from '../audit/audit-log.js';
import { randomToken } from '../core/hash.js';
import { OAuthError } from '../core/oauth-errors.js';
import type { Tx } from '../db/tx.js';
import { BrowserRefusal, browserFlow } from '../http/browser-refusal.js';
import type { AppEnv } from '../http/env.js';
import { PAGE_CSP, renderNotice } from '../http/pages.js';
import { NotAForm, readForm } from '../http/read-form.js';
import type { SamlLogin, SamlServiceProvider } from '../saml/types.js';
import { samlLoginRefusal } from './login-refusal.js';
import type { AcceptedLogin, LoginRowData, SsoService } from './sso-service.js';
import { quote } from '../core/bounded.js';
import { EXPIRED_LOGINS_KEPT_MS } from '../db/schema/saml-requests.js';

/**
 * The cookie that binds a pending login to this browser. The IdP's POST to the ACS is cross-site, so it must be
 * `SameSite=None; Secure` (a Lax cookie would be dropped in production). Not named `SimpleSAML*`: an IdP's own
 * cookies may reach this host.
 */
export const LOGIN_COOKIE = 'campus_sts_login';

/** A login being finished for its purpose; `finish` is the one completion path (`SsoService.finishLogin`). */
export interface CompletingLogin {
  login: SamlLogin;
  /** The pending login's target (a survey id, a return path), or an unsolicited response's RelayState. */
  target: string | undefined;
  requestId: string;
  finish<T>(extra: { survey?: string }, work: (tx: Tx, data: LoginRowData) => Promise<T>): Promise<T>;
}

/**
 * Port: a feature that finishes the sign-ins started for its purpose (launch: survey launches; admin: console
 * sign-in). It implements this without importing it; compose/ registers it with `samlRoutes`.
 */
export interface LoginCompletion {
  readonly purpose: 'launch' | 'admin';
  /** Whether it finishes a login for this target (launch: a survey it knows). Otherwise: a plain sign-in. */
  accepts(target: string | undefined): boolean;
  /** What the page of a replayed sign-in tells the person to do (default: open the survey link again). */
  readonly retry?: string;
  complete(c: Context<AppEnv>, login: CompletingLogin): Promise<Response>;
}

export interface SamlRoutesDeps {
  audit: AuditLog;
  sp: SamlServiceProvider;
  sso: SsoService;
  defaultIdp: string | undefined;
  loginTtlSeconds: number;
  maxResponseBytes: number;
  completions: readonly LoginCompletion[];
}

/** Starts an SP-initiated sign-in bound to this browser (its login cookie) and redirects to the IdP. */
export type StartSignIn = (c: Context<AppEnv>, req: { idpId: string; purpose: 'launch' | 'login' | 'admin'; target: string }) => Promise<Response>;

/** The sign-in starter other features get as a port (launch, the console): `StartSignIn`. */
export function createSignIn(deps: { sso: SsoService; loginTtlSeconds: number }): StartSignIn {
  return async (c, req) => {
    const url = await deps.sso.startLogin({ ...req, browserNonce: browserNonce(c, deps.loginTtlSeconds), requestId: c.get('requestId') });
    c.header('Cache-Control', 'no-store');
    return c.redirect(url, 303);
  };
}

/**
 * A browser's login nonce: the one it has, or a fresh one (set on the response). It outlives the login by as long
 * as an expired pending login is kept, so a late answer still comes with it and is told apart as `login_expired`.
 */
function browserNonce(c: Context<AppEnv>, ttlSeconds: number): string {
  const existing = getCookie(c, LOGIN_COOKIE);
  const nonce = existing && /^[\w-]{43}$/.test(existing) ? existing : randomToken(32);
  setCookie(c, LOGIN_COOKIE, nonce, { path: '/', httpOnly: true, secure: true, sameSite: 'None', maxAge: ttlSeconds + EXPIRED_LOGINS_KEPT_MS / 1000 });
  return nonce;
}

/** The login completions by purpose; two for one purpose is a wiring mistake, refused at start. */
function completionsByPurpose(list: readonly LoginCompletion[]): Map<string, LoginCompletion> {
  const completions = new Map<string, LoginCompletion>();
  for (const completion of list) {
    if (completions.has(completion.purpose)) throw new Error(`two login completions for purpose ${completion.purpose}`);
    completions.set(completion.purpose, completion);
  }
  return completions;
}

/**
 * Browser sign-in: SP metadata, SP-initiated plain login, and the ACS, which finishes every login by its
 * purpose through the completion registered for it. Refusals are friendly pages with a correlation id, each
 * with an audit row.
 */
export function samlRoutes(deps: SamlRoutesDeps): Hono<AppEnv> {
  const signIn = createSignIn(deps);
  const completions = completionsByPurpose(deps.completions);

  /** By purpose: the pending login's, or for an unsolicited response a launch named by its RelayState. */
  const complete = async (c: Context<AppEnv>, accepted: AcceptedLogin, relayState: string | undefined, requestId: string): Promise<Response> => {
    const target = accepted.pending ? (accepted.pending.target ?? undefined) : relayState;
    const completion = completions.get(accepted.pending?.purpose ?? 'launch');
    if (completion?.accepts(target)) {
      const purpose = completion.purpose;
      return completion.complete(c, {
        login: accepted.login,
        target,
        requestId,
        finish: (extra, work) => deps.sso.finishLogin(accepted, requestId, { purpose, ...extra }, work, completion.retry),
      });
    }
    await deps.sso.finishLogin(accepted, requestId, { purpose: 'login' }, async () => undefined);
    c.header('Cache-Control', 'no-store');
    c.header('Content-Security-Policy', PAGE_CSP);
    return c.html(renderNotice({ title: 'You are signed in', message: `Signed in as ${accepted.login.subject}.`, whatToDo: 'You can close this page.', correlationId: requestId }));
  };

  return new Hono<AppEnv>()
    .get('/saml/metadata', (c) => c.body(deps.sp.metadataXml(), 200, { 'Content-Type': 'application/samlmetadata+xml', 'Cache-Control': 'public, max-age=3600' }))
    .get('/saml/login', (c) =>
      browserFlow(c, deps, async () => {
        const idp = c.req.query('idp') ?? deps.defaultIdp;
        if (!idp || !deps.sp.idpIds().includes(idp)) {
          throw new BrowserRefusal(404, { title: 'Unknown sign-in service', message: 'This sign-in link names no configured identity provider.', whatToDo: 'Check the link, or contact the help desk.' }, `unknown idp ${quote(String(idp), 64)}`, {
            event: 'saml.start', outcome: 'refused', requestId: c.get('requestId'), reason: `unknown idp ${quote(String(idp), 64)}`, data: { purpose: 'login' },
          });
        }
        return signIn(c, { idpId: idp, purpose: 'login', target: '/' });
      }),
    )
    .post('/saml/acs', (c) =>
      browserFlow(c, deps, async () => {
        const requestId = c.get('requestId');
        let samlResponse: string | undefined;
        let relayState: string | undefined;
        try {
          // Base64 grows 4/3; allow the form some room around the decoded cap the engine enforces.
          const form = await readForm(c, Math.ceil(deps.maxResponseBytes * 1.4) + 4096);
          samlResponse = form.single('SAMLResponse');
          relayState = form.single('RelayState');
        } catch (err) {
          if (!(err instanceof OAuthError)) throw err;
          const tooLarge = err.status === 413;
          const reason = err instanceof NotAForm ? 'content_type_unsupported' : tooLarge ? 'too_large' : 'form_malformed';
          throw samlLoginRefusal(reason, err.detail, { requestId, data: {} }, tooLarge ? 413 : 400);
        }
        if (!samlResponse) throw samlLoginRefusal('saml_response_missing', 'no SAMLResponse in the form', { requestId, data: {} });
        const accepted = await deps.sso.acceptResponse(samlResponse, getCookie(c, LOGIN_COOKIE), requestId);
        return complete(c, accepted, relayState, requestId);
      }),
    );
}
