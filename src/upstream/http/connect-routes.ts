import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AuditLog } from '../../audit/audit-log.js';
import { InvalidToken, NotFound } from '../../core/oauth-errors.js';
import type { Db } from '../../db/client.js';
import type { AppEnv } from '../../http/env.js';
import { NO_STORE } from '../../http/errors.js';
import type { FormParams } from '../../http/form-params.js';
import { PAGE_CSP } from '../../http/pages.js';
import { readForm } from '../../http/read-form.js';
import { commitAudited } from '../../oauth/commit.js';
import { ConnectRefusal, connectPath, type ConnectService } from '../connect.js';
import type { Vault } from '../vault.js';
import type { AdminGate } from './admin-gate.js';
import { connectedPage, connectFormCsp, connectFormPage, refusalPage } from './pages.js';

/** The browser binding of a connect flow: a random nonce whose sha256 is stored with the state. */
export const CONNECT_COOKIE = 'campus_sts_upstream_connect';

export interface ConnectRoutesDeps {
  connect: ConnectService;
  gate: AdminGate;
  vault: Vault;
  db: Db;
  audit: AuditLog;
  names: ReadonlyMap<string, string>;
  /** Secure cookies when the issuer is https. */
  secureCookies: boolean;
}

/**
 * GET/POST `/admin/upstreams/{id}/connect`, GET `/admin/upstreams/{id}/callback` (the exact redirect URI to
 * register at the provider), POST `/admin/upstreams/{id}/disconnect`. Pages are no-store and script-free.
 */
export function connectRoutes(deps: ConnectRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const page = (c: Context<AppEnv>, body: ReturnType<typeof connectedPage>, status: 200 | 400 | 401 | 403 | 404 | 502, csp = PAGE_CSP) =>
    c.html(body, status, { ...NO_STORE, 'Content-Security-Policy': csp });
  const nameOf = (id: string) => deps.names.get(id) ?? id;
  const form = async (c: Context<AppEnv>): Promise<FormParams | undefined> =>
    c.req.header('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded') ? readForm(c, 4096) : undefined;
  const refuseAdmin = (id: string, event: 'upstream.connect' | 'upstream.disconnect', requestId: string) => {
    const common = { outcome: 'refused' as const, requestId, audience: [id.slice(0, 64)], reason: 'administrator token missing or wrong' };
    commitAudited(deps, (tx) =>
      deps.audit.append(
        tx,
        event === 'upstream.connect'
          ? { event, ...common, data: { upstream: id.slice(0, 64), method: 'authorization_code', stage: 'start', error: 'admin_required' } }
          : { event, ...common, data: { upstream: id.slice(0, 64), revoked: false, error: 'admin_required' } },
      ),
    );
  };

  app.get('/admin/upstreams/:id/connect', (c) => {
    const id = c.req.param('id');
    if (!deps.gate.enabled || !deps.connect.connectable(id)) {
      const r = refusalPage('not_applicable', c.get('requestId'));
      return page(c, r.body, r.status);
    }
    return page(c, connectFormPage({ upstream: id, name: nameOf(id), action: connectPath(id), correlationId: c.get('requestId') }), 200, connectFormCsp(deps.connect.authorizeOrigin(id)));
  });

  app.post('/admin/upstreams/:id/connect', async (c) => {
    const id = c.req.param('id');
    const requestId = c.get('requestId');
    if (!deps.gate.enabled || !deps.connect.connectable(id)) {
      const r = refusalPage('not_applicable', requestId);
      return page(c, r.body, r.status);
    }
    const actor = deps.gate.actor(c, await form(c));
    if (!actor) {
      refuseAdmin(id, 'upstream.connect', requestId);
      const r = refusalPage('admin_required', requestId);
      return page(c, r.body, r.status);
    }
    const { location, nonce } = deps.connect.start(id, actor, requestId);
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
    const actor = deps.gate.actor(c, await form(c));
    if (!actor) {
      refuseAdmin(id, 'upstream.disconnect', requestId);
      throw new InvalidToken('an administrator token is required', 'administrator token missing or wrong', !c.req.header('authorization'));
    }
    if (!deps.names.has(id)) throw new NotFound('no such upstream', `unknown upstream "${id.slice(0, 64)}"`);
    const result = await deps.vault.disconnect(id, { actor, requestId });
    return c.json({ upstream: id, disconnected: result.wasConnected, revoked: result.revoked, ...(result.error ? { revocation_error: result.error } : {}) }, 200, NO_STORE);
  });

  return app;
}
