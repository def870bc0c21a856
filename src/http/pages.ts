import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * Server-rendered pages for people (refusals, notices). Every interpolated value is escaped by `html`.
 * No scripts, no external resources: the pages work under a strict Content-Security-Policy.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = raw(`
  body { font: 16px/1.5 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; }
  main { max-width: 38rem; margin: 4rem auto; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 2rem 2.5rem; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  .what-to-do { background: #fff8c5; border-left: 4px solid #d4a72c; padding: .75rem 1rem; }
  .ref { color: #59636e; font-size: .85rem; margin-top: 2rem; }
  code { background: #eff1f3; padding: .1rem .3rem; border-radius: 4px; }
`);

export interface NoticePage {
  title: string;
  /** What happened, in words a respondent understands. */
  message: string;
  /** What to do next. */
  whatToDo: string;
  /** The request id: quoted to the help desk, it finds the audit row. */
  correlationId: string;
  /** Reload the page after this many seconds (a meta refresh: no script, so it works under PAGE_CSP). */
  refreshSeconds?: number;
}

export function renderNotice(page: NoticePage): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${page.refreshSeconds ? html`<meta http-equiv="refresh" content="${page.refreshSeconds}">` : ''}
<title>${page.title} · campus sign-in</title><style>${STYLE}</style></head>
<body><main role="main">
<h1>${page.title}</h1>
<p>${page.message}</p>
<p class="what-to-do"><strong>What to do:</strong> ${page.whatToDo}</p>
<p class="ref">Reference for the help desk: <code>${page.correlationId}</code></p>
</main></body></html>`;
}
