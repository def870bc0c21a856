import { randomBytes } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A fresh CSP nonce for one response (128 bits). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The Content-Security-Policy of a demo page: nothing loads or runs unless listed. Scripts only with this
 * response's nonce (no inline handlers), forms only to `formAction`, fetches only to `connectSrc`.
 */
export function demoCsp(opts: { nonce?: string; formAction: string; connectSrc?: string[] }): string {
  return [
    "default-src 'none'",
    ...(opts.nonce ? [`script-src 'nonce-${opts.nonce}'`] : []),
    ...(opts.connectSrc?.length ? [`connect-src ${opts.connectSrc.join(' ')}`] : []),
    "style-src 'unsafe-inline'",
    'img-src data:',
    `form-action ${opts.formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The HTML shell of a demo page; every interpolated value is escaped by `html`. */
export function renderDemoPage(page: { title: string; style: string; body: Html; script?: { nonce: string; code: string } }): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title><style>${raw(page.style)}</style></head>
<body>${page.body}${page.script ? html`<script nonce="${page.script.nonce}">${raw(page.script.code)}</script>` : ''}</body></html>`;
}
