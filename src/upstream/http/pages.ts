import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { PAGE_CSP, renderNotice } from '../../http/pages.js';
import type { ConnectRefusalKind } from '../connect.js';

/**
 * The pages an admin sees while connecting an upstream account: the connect form, the result, and each
 * refusal explained (what happened, what to do, the request id that finds the audit row).
 */

/** The connect form posts to us and we redirect to the provider: form-action must allow both (CSP 3 §6.3.1). */
export const connectFormCsp = (providerOrigin: string) => PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${providerOrigin}`);

/**
 * The connect form. For a console session (`session`): the session's CSRF token as a hidden field, nothing to
 * type. Otherwise (only the shared automation token is configured): a field for the administrator token.
 */
export function connectFormPage(p: {
  upstream: string;
  name: string;
  action: string;
  correlationId: string;
  session?: { subject: string; csrfToken: string } | undefined;
}): HtmlEscapedString | Promise<HtmlEscapedString> {
  const proof = p.session
    ? html`<input type="hidden" name="csrf_token" value="${p.session.csrfToken}">`
    : html`<label for="admin_token">Administrator token</label>
<input id="admin_token" name="admin_token" type="password" autocomplete="off" required>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect ${p.name} · campus-sts</title>
<style>${raw('body{font:16px/1.5 system-ui,sans-serif;background:#f6f8fa;margin:0}main{max-width:38rem;margin:4rem auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:2rem 2.5rem}label,input,button{display:block;margin:.5rem 0}input{width:100%;padding:.4rem}.ref{color:#59636e;font-size:.85rem}')}</style></head>
<body><main role="main">
<h1>Connect ${p.name}</h1>
<p>You will be sent to ${p.name} to sign in with the account campus-sts should use for <code>${p.upstream}</code>, and to approve access. campus-sts then keeps that account's tokens, encrypted.</p>
${p.session ? html`<p class="ref">Signed in to the console as <strong>${p.session.subject}</strong>.</p>` : ''}
<form method="post" action="${p.action}">
${proof}
<button type="submit">Continue to ${p.name}</button>
</form>
<p class="ref">Reference: <code>${p.correlationId}</code></p>
</main></body></html>`;
}

export function connectedPage(p: { name: string; expiresIn: number | undefined; correlationId: string }) {
  return renderNotice({
    title: `${p.name} is connected`,
    message: `campus-sts now holds this account's tokens (encrypted at rest).${p.expiresIn !== undefined ? ` The access token lasts ${p.expiresIn} seconds and is refreshed automatically.` : ''}`,
    whatToDo: 'Nothing more. `campus-sts upstream status` shows the connection; you can close this page.',
    correlationId: p.correlationId,
  });
}

const TEXTS: Record<ConnectRefusalKind | 'admin_required', { status: 400 | 401 | 403 | 404 | 502; title: string; message: string; whatToDo: string }> = {
  admin_required: {
    // Only when the shared administrator token is the way in (no console session was involved).
    status: 401,
    title: 'Administrator token required',
    message: 'Connecting an upstream account needs the campus-sts administrator token.',
    whatToDo: 'Go back and enter the administrator token (ask whoever runs campus-sts).',
  },
  not_applicable: {
    status: 404,
    title: 'Nothing to connect here',
    message: 'This upstream is unknown, or it connects itself (client credentials or configured credentials).',
    whatToDo: 'Check the upstream id in the address; `campus-sts upstream status` lists them.',
  },
  bad_state: {
    status: 400,
    title: 'This connection attempt is not valid here',
    message: 'The answer from the provider does not belong to a connection started in this browser in the last 10 minutes (it expired, was already used, or was started elsewhere).',
    whatToDo: 'Start again from the connect page, in this browser, and finish within 10 minutes.',
  },
  access_denied: {
    status: 403,
    title: 'Access was not granted',
    message: 'The provider reports that access was declined, so nothing was connected.',
    whatToDo: 'Start again and approve the access request, signed in with the account campus-sts should use.',
  },
  provider_error: {
    status: 502,
    title: 'The provider reported an error',
    message: 'The provider did not complete the authorization, so nothing was connected.',
    whatToDo: 'Try again. If it persists, check the client id, secret and redirect URI registered at the provider; the audit log has the error code.',
  },
  bad_code: {
    status: 400,
    title: 'The authorization code was refused',
    message: 'The provider did not accept the code it issued (it expired, was already used, or the redirect URI differs).',
    whatToDo: 'Start again from the connect page. The redirect URI registered at the provider must be exactly the one campus-sts uses.',
  },
  bad_request: {
    status: 400,
    title: 'The provider sent an incomplete answer',
    message: 'The answer from the provider carried neither a code nor an error.',
    whatToDo: 'Start again from the connect page.',
  },
};

export function refusalPage(kind: keyof typeof TEXTS, correlationId: string) {
  const t = TEXTS[kind];
  return { status: t.status, body: renderNotice({ title: t.title, message: t.message, whatToDo: t.whatToDo, correlationId }) };
}
