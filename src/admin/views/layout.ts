import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AdminPrincipal } from '../sessions.js';
import { CHART_CSS } from './activity-chart.js';

/**
 * The console's page frame. No scripts at all; the one stylesheet is inline and allowed by its hash, so the
 * Content-Security-Policy needs neither 'unsafe-inline' nor any other source. Focus is always visible.
 */
const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d0d7de; --bg: #f6f8fa; --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .4rem .8rem; z-index: 2; }
header.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem; background: #24292f; color: #fff; padding: .6rem 1.5rem; }
header.top a { color: #fff; }
header.top .who { font-size: .9rem; }
header.top form { display: inline; margin-left: .75rem; }
main { max-width: 1280px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.35rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .9rem 1.1rem; margin-bottom: 1rem; }
.panel > h2:first-child { margin-top: 0; }
.status-ok { border-left: 6px solid var(--ok); }
.status-bad { border-left: 6px solid var(--bad); }
.status-ok strong { color: var(--ok); }
.status-bad strong { color: var(--bad); }
fieldset { border: 0; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .6rem 1rem; }
legend { font-weight: 600; margin-bottom: .5rem; }
label { display: block; font-size: .85rem; font-weight: 600; margin-bottom: .15rem; }
input, select { width: 100%; font: inherit; padding: .35rem .5rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); }
button, .button { font: inherit; font-weight: 600; padding: .4rem .9rem; border-radius: 4px; border: 1px solid #1f6feb; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
header.top button { background: transparent; border-color: #fff; color: #fff; padding: .2rem .6rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .75rem; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; padding: .6rem .8rem; font-weight: 600; }
th, td { text-align: left; padding: .4rem .6rem; border-top: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); white-space: nowrap; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .82rem; overflow-wrap: break-word; }
dd.mono { word-break: break-all; }
.id { display: inline-block; max-width: 16rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; vertical-align: top; }
td.reason { min-width: 14rem; }
time { white-space: nowrap; }
.outcome-refused, .outcome-error { color: var(--bad); font-weight: 600; }
.outcome-success { color: var(--ok); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; margin: 0; }
dl.fields dt { font-weight: 600; color: var(--muted); }
dl.fields dd { margin: 0; }
nav.pages { display: flex; gap: .75rem; margin-top: .75rem; }
.error { background: #ffebe9; border: 1px solid #ff8182; padding: .6rem .9rem; border-radius: 6px; }
.muted { color: var(--muted); }
${CHART_CSS}`;

/** The page style's CSP source: `'sha256-…'` of the exact text inside <style>. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** Strict CSP for console pages: nothing loads or runs but this page's own stylesheet; forms post only here. */
export const ADMIN_CSP = `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export function layout(opts: { title: string; admin: AdminPrincipal; body: HtmlEscapedString | Promise<HtmlEscapedString> }) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · campus-sts console</title><style>${raw(CSS)}</style></head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a href="/admin/audit"><strong>campus-sts</strong> · audit review</a>
  <div class="who">${opts.admin.role === 'admin' ? html`<a href="/admin/revoke">Revoke tokens</a> · ` : ''}Signed in as <strong>${opts.admin.subject}</strong> (${opts.admin.role})
    <form method="post" action="/admin/logout"><input type="hidden" name="csrf_token" value="${opts.admin.csrfToken}"><button type="submit">Sign out</button></form>
  </div>
</header>
<main id="main" tabindex="-1">
${opts.body}
</main>
</body></html>`;
}

/** `2026-11-23 10:00:00.123Z` in a <time> element: UTC everywhere, so two reviewers read the same times. */
export function utc(d: Date | undefined | null) {
  if (!d) return html`<span class="muted">—</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ')}</time>`;
}
