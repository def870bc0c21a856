import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AuditLog } from '../../audit/audit-log.js';
import { InvalidToken, NotFound } from '../../core/oauth-errors.js';
import type { AppEnv } from '../../http/env.js';
import { NO_STORE } from '../../http/errors.js';
import type { FormParams } from '../../core/form-params.js';
import { PAGE_CSP } from '../../http/pages.js';
import { readForm } from '../../http/read-form.js';
import { commitAudited } from '../../audit/commit.js';
import { ConnectRefusal, connectPath, type ConnectService } from '../connect.js';
import type { Vault } from '../vault.js';
import type { AdminGate, ConsoleRefused, GateVerdict } from './admin-gate.js';
import { connectedPage, connectFormCsp, connectFormPage, refusalPage } from './pages.js';
import { quote } from '../../core/bounded.js';

/** The browser binding of a connect flow: a random nonce whose sha256 is stored with the state. */
export const CONNECT_COOKIE = 'campus_sts_upstream_connect';

export interface ConnectRoutesDeps {
  connect: ConnectService;
  gate: AdminGate;
  /** Port: answers a console refusal (no session, too weak a role, CSRF) as the console does (the admin feature's). */
  answerConsoleRefusal(c: Context<AppEnv>, verdict: ConsoleRefused): Response | Promise<Response>;
  vault: Vault;
  audit: AuditLog;
  names: ReadonlyMap<string, string>;
  /** Secure cookies when the issuer is https. */
  secureCookies: boolean;
}

/**
 * GET/POST `/admin/upstreams/{id}/connect`, GET `/admin/upstreams/{id}/callback` (the exact redirect URI to
 * register at the provider), POST `/admin/upstreams/{id}/disconnect`. Pages are no-store and script-free.
 * Connect and disconnect need an admin (`gate`: a console session with role `admin`, CSRF-checked when state
 * changes, or the optional automation token); console refusals are answered as the console answers them. The
 * callback is not gated: its state is bound to the browser that started the flow (which an admin did), and
 * the audit rows name that admin.
 */
// long: the connect flow's route table: one handler per route (each < 25 lines) over shared page, form and audit helpers.
export function connectRoutes(deps: ConnectRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, body: ReturnType<typeof connectedPage>, status: 200 | 400 | 401 | 403 | 404 | 502, csp = PAGE_CSP) =>
    c.html(body, status, { ...NO_STORE, 'Content-Security-Policy': csp });
  const nameOf = (id: string) => deps.names.get(id) ?? id;
  const form = async (c: Context<AppEnv>): Promise<FormParams | undefined> =>
    c.req.header('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded') ? readForm(c, 4096) : undefined;
  type Refused = Extract<GateVerdict, { refused: string }>;
  const refuseAdmin = (id: string, event: 'upstream.connect' | 'upstream.disconnect', requestId: string, verdict: Refused) => {
    const { reason, error } = refusalDetail(verdict);
    const common = { outcome: 'refused' as const, requestId, audience: [id.slice(0, 64)], reason, ...('subject' in verdict ? { subject: verdict.subject } : {}) };
    return commitAudited(deps, async (tx) =>
      deps.audit.append(
        tx,
        event === 'upstream.connect'
          ? { event, ...common, data: { upstream: id.slice(0, 64), method: 'authorization_code', stage: 'start', error } }
          : { event, ...common, data: { upstream: id.slice(0, 64), revoked: false, error } },
      ),
    );
  };

  app.get('/admin/upstreams/:id/connect', async (c) => {
    const id = c.req.param('id');
    if (!deps.gate.enabled || !deps.connect.connectable(id)) {
      const r = refusalPage('not_applicable', c.get('requestId'));
      return page(c, r.body, r.status);
    }
    // Console admins get the form with their session's CSRF token; without a session, sign in first (the
    // console's answers: 303 to /admin/login for pages, 403 for an auditor). Token only: the form asks for it.
    const verdict = await deps.gate.check(c, undefined);
    if ('refused' in verdict && verdict.refused !== 'token') return deps.answerConsoleRefusal(c, verdict);
    const session = 'actor' in verdict && verdict.csrfToken !== undefined ? { subject: verdict.actor, csrfToken: verdict.csrfToken } : undefined;
    c.header('Vary', 'Cookie');
    return page(c, connectFormPage({ upstream: id, name: nameOf(id), action: connectPath(id), correlationId: c.get('requestId'), session }), 200, connectFormCsp(deps.connect.authorizeOrigin(id)));
  });

  app.post('/admin/upstreams/:id/connect', async (c) => {
    const id = c.req.param('id');
    const requestId = c.get('requestId');
    if (!deps.gate.enabled || !deps.connect.connectable(id)) {
      const r = refusalPage('not_applicable', requestId);
      return page(c, r.body, r.status);
    }
    const verdict = await deps.gate.check(c, await form(c));
    if ('refused' in verdict) {
      await refuseAdmin(id, 'upstream.connect', requestId, verdict);
      if (verdict.refused !== 'token') return deps.answerConsoleRefusal(c, verdict);
      const r = refusalPage('admin_required', requestId);
      return page(c, r.body, r.status);
    }
    const { location, nonce } = await deps.connect.start(id, verdict.actor, requestId);
    // SameSite=Lax: the provider's redirect back is a top-level GET navigation, which carries Lax cookies.
    setCookie(c, CONNECT_COOKIE, nonce, { path: `/admin/upstreams/${id}/`, httpOnly: true, sameSite: 'Lax', secure: deps.secureCookies, maxAge: 600 });
    return c.redirect(location, 303);
  });

  app.get('/admin/upstreams/:id/callback', async (c) => {
    const id = c.req.param('id');
    const requestId = c.get('requestId');
    const nonce = getCookie(c, CONNECT_COOKIE);
    deleteCookie(c, CONNECT_COOKIE, { path: `/admin/upstreams/${id}/`, secure: deps.secureCookies });
    try {
      const { expiresIn } = await deps.connect.callback(id, c.req.query(), nonce, requestId);
      return page(c, connectedPage({ name: nameOf(id), expiresIn, correlationId: requestId }), 200);
    } catch (err) {
      if (!(err instanceof ConnectRefusal)) throw err;
      const r = refusalPage(err.kind, requestId);
      return page(c, r.body, r.status);
    }
  });

  app.post('/admin/upstreams/:id/disconnect', async (c) => {
    const id = c.req.param('id');
    const requestId = c.get('requestId');
    const verdict = await deps.gate.check(c, await form(c));
    if ('refused' in verdict) {
      await refuseAdmin(id, 'upstream.disconnect', requestId, verdict);
      if (verdict.refused !== 'token') return deps.answerConsoleRefusal(c, verdict);
      throw new InvalidToken('an administrator token is required', 'administrator token missing or wrong', { missing: !c.req.header('authorization') });
    }
    const actor = verdict.actor;
    if (!deps.names.has(id)) throw new NotFound('no such upstream', `unknown upstream ${quote(id, 64)}`);
    const result = await deps.vault.disconnect(id, { actor, requestId });
    return c.json({ upstream: id, disconnected: result.wasConnected, revoked: result.revoked, ...(result.error ? { revocation_error: result.error } : {}) }, 200, NO_STORE);
  });

  return app;
}

/** The audit row's reason and error code for a refused admin request. */
function refusalDetail(verdict: Extract<GateVerdict, { refused: string }>): { reason: string; error: string } {
  switch (verdict.refused) {
    case 'token':
      return { reason: 'administrator token missing or wrong', error: 'admin_required' };
    case 'login_required':
      return { reason: `no admin console session (${verdict.why})`, error: 'login_required' };
    case 'forbidden':
      return { reason: 'the console session lacks the admin role', error: 'access_denied' };
    case 'csrf':
      return { reason: 'the request failed the CSRF check', error: 'csrf' };
  }
}
