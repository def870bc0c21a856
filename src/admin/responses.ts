import type { Context } from 'hono';
import type { AppEnv } from '../http/env.js';
import { AccessDenied, LoginRequired } from '../core/oauth-errors.js';
import { oauthErrorResponse } from '../http/errors.js';
import { PAGE_CSP, renderNotice } from '../http/pages.js';

/** Why an admin request was not let through. */
export type AdminRefusal =
  | { kind: 'login_required'; why: 'none' | 'unknown' | 'idle' | 'expired' }
  | { kind: 'forbidden'; need: 'auditor' | 'admin' }
  | { kind: 'csrf' };

/** Pages are for people (redirect to sign-in, friendly pages); everything else gets RFC 6749-shaped JSON. */
export function wantsHtml<E extends AppEnv>(c: Context<E>): boolean {
  return !c.req.path.startsWith('/admin/api/') && (c.req.header('accept') ?? '').includes('text/html');
}

/** Where sign-in returns to: only our own admin paths (never an open redirect). */
export function safeReturnPath(value: string | undefined): string {
  if (!value || !/^\/admin(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/.test(value) || /(?:^|\/)\.\.?(?:\/|\?|$)/.test(value)) return '/admin/audit';
  return value.length > 1024 ? '/admin/audit' : value;
}

/**
 * The one place admin refusals become responses (the middleware answers with these; it never throws, so a
 * router that mounts `requireAdmin` gets the same answers whatever its own error handler does).
 */
export function adminRefusalResponse<E extends AppEnv>(c: Context<E>, refusal: AdminRefusal): Response | Promise<Response> {
  const html = wantsHtml(c);
  const requestId = c.get('requestId');
  switch (refusal.kind) {
    case 'login_required': {
      const url = new URL(c.req.url);
      const back = safeReturnPath(`${url.pathname}${url.search}`);
      const loginUrl = `/admin/login?return=${encodeURIComponent(back)}`;
      if (html && (c.req.method === 'GET' || c.req.method === 'HEAD')) return c.redirect(loginUrl, 303);
      const message = refusal.why === 'idle' ? 'your session ended after a period of inactivity' : refusal.why === 'expired' ? 'your session reached its maximum length' : 'sign in to the admin console first';
      if (html) return page(c, 401, { title: 'Please sign in again', message: `The console could not continue: ${message}.`, whatToDo: 'Sign in again at /admin/login, then repeat what you were doing.', correlationId: requestId });
      return oauthErrorResponse(new LoginRequired(message, undefined, { loginUrl: '/admin/login' }), c);
    }
    case 'forbidden': {
      const message = `this needs the ${refusal.need} role`;
      if (html) return page(c, 403, { title: 'Not allowed', message: `Your account may not do this: ${message}.`, whatToDo: 'Ask the identity team for the entitlement if you need it.', correlationId: requestId });
      return oauthErrorResponse(new AccessDenied(message), c);
    }
    case 'csrf': {
      const message = 'the request failed the cross-site request forgery check';
      if (html) return page(c, 403, { title: 'Request refused', message: `This request could not be verified as coming from the console (${message}).`, whatToDo: 'Reload the console page and try again.', correlationId: requestId });
      return oauthErrorResponse(new AccessDenied(message), c);
    }
  }
}

function page<E extends AppEnv>(c: Context<E>, status: 401 | 403, notice: Parameters<typeof renderNotice>[0]): Response | Promise<Response> {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('Cache-Control', 'no-store');
  return c.html(renderNotice(notice), status);
}
