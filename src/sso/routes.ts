import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { randomToken } from '../core/hash.js';
import { OAuthError } from '../core/oauth-errors.js';
import type { LaunchService } from '../launch/launch-service.js';
import type { SamlServiceProvider } from '../saml/types.js';
import { BrowserRefusal, samlLoginRefusal } from './login-refusal.js';
import { withBrowserRefusalAudit, type AcceptedLogin, type SsoService } from './sso-service.js';
import type { Db } from '../db/client.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AppEnv } from '../http/env.js';
import { PAGE_CSP, renderNotice } from '../http/pages.js';
import { NotAForm, readForm } from '../http/read-form.js';

/**
 * The cookie that binds a pending login to this browser. The IdP's POST to the ACS is cross-site, so it must be
 * `SameSite=None; Secure` (a Lax cookie would be dropped in production). Not named `SimpleSAML*`: an IdP's own
 * cookies may reach this host.
 */
export const LOGIN_COOKIE = 'campus_sts_login';

export interface SamlRoutesDeps {
  db: Db;
  audit: AuditLog;
  sp: SamlServiceProvider;
  sso: SsoService;
  launch: LaunchService;
  defaultIdp: string | undefined;
  loginTtlSeconds: number;
  maxResponseBytes: number;
  /** Completes a sign-in started for the admin console (purpose `admin`): the admin module answers it. */
  adminLogin?: AdminLoginCompletion;
}

export type AdminLoginCompletion = (c: Context<AppEnv>, accepted: AcceptedLogin, requestId: string, sso: SsoService) => Promise<Response>;

/** A browser's login nonce: the one it has, or a fresh one (set on the response). Also used by /admin/login. */
export function browserNonce(c: Context<AppEnv>, ttlSeconds: number): string {
  const existing = getCookie(c, LOGIN_COOKIE);
  const nonce = existing && /^[\w-]{43}$/.test(existing) ? existing : randomToken(32);
  setCookie(c, LOGIN_COOKIE, nonce, { path: '/', httpOnly: true, secure: true, sameSite: 'None', maxAge: ttlSeconds });
  return nonce;
}

async function refusalPage(c: Context<AppEnv>, err: BrowserRefusal): Promise<Response> {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(renderNotice({ ...err.text, correlationId: c.get('requestId') }), err.status);
}

/**
 * Browser sign-in: SP metadata, SP-initiated login (plain, or for a survey launch), and the ACS. Refusals are
 * friendly pages with a correlation id, each with an audit row.
 */
export function samlRoutes(deps: SamlRoutesDeps): Hono<AppEnv> {
  const browserFlow = async (c: Context<AppEnv>, work: () => Promise<Response>): Promise<Response> => {
    try {
      return await withBrowserRefusalAudit(deps, work);
    } catch (err) {
      if (err instanceof BrowserRefusal) return refusalPage(c, err);
      throw err;
    }
  };

  return new Hono<AppEnv>()
    .get('/saml/metadata', (c) => c.body(deps.sp.metadataXml(), 200, { 'Content-Type': 'application/samlmetadata+xml', 'Cache-Control': 'public, max-age=3600' }))
    // Not /launch/redeem, which is POST only (another method there is a 405, not a launch of survey "redeem").
    .get('/launch/:survey{(?!redeem$)[^/]+}', (c) =>
      browserFlow(c, async () => {
        const url = await deps.launch.start(c.req.param('survey'), browserNonce(c, deps.loginTtlSeconds), c.get('requestId'));
        c.header('Cache-Control', 'no-store');
        return c.redirect(url, 303);
      }),
    )
    .get('/saml/login', (c) =>
      browserFlow(c, async () => {
        const idp = c.req.query('idp') ?? deps.defaultIdp;
        if (!idp || !deps.sp.idpIds().includes(idp)) {
          throw new BrowserRefusal(404, { title: 'Unknown sign-in service', message: 'This sign-in link names no configured identity provider.', whatToDo: 'Check the link, or contact the help desk.' }, `unknown idp "${String(idp).slice(0, 64)}"`, {
            event: 'saml.start', outcome: 'refused', requestId: c.get('requestId'), reason: `unknown idp "${String(idp).slice(0, 64)}"`, data: { purpose: 'login' },
          });
        }
        const url = await deps.sso.startLogin({ idpId: idp, purpose: 'login', target: '/', browserNonce: browserNonce(c, deps.loginTtlSeconds), requestId: c.get('requestId') });
        c.header('Cache-Control', 'no-store');
        return c.redirect(url, 303);
      }),
    )
    .post('/saml/acs', (c) =>
      browserFlow(c, async () => {
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
        if (accepted.pending?.purpose === 'admin' && deps.adminLogin) return deps.adminLogin(c, accepted, requestId, deps.sso);
        const survey = accepted.pending ? (accepted.pending.purpose === 'launch' ? accepted.pending.target : undefined) : relayState;
        c.header('Cache-Control', 'no-store');
        if (survey && deps.launch.knows(survey)) return c.redirect(await deps.launch.complete(accepted, survey, requestId), 303);
        await deps.sso.completePlainLogin(accepted, requestId);
        c.header('Content-Security-Policy', PAGE_CSP);
        return c.html(renderNotice({ title: 'You are signed in', message: `Signed in as ${accepted.login.subject}.`, whatToDo: 'You can close this page.', correlationId: requestId }));
      }),
    );
}
