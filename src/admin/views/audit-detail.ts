import { html } from 'hono/html';
import type { CorrelatedRow, Correlation } from '../../audit/correlation.js';
import type { AuditRow } from '../../db/schema/audit-log.js';
import type { AdminPrincipal } from '../sessions.js';
import { layout, utc } from './layout.js';

const LINK_TEXT: Record<CorrelatedRow['link'], string> = {
  self: 'this row',
  request: 'same request',
  jti: 'same token (jti)',
  sign_in: 'same sign-in',
};

function filterLink(name: string, value: string | null) {
  if (!value) return html`<span class="muted">—</span>`;
  return html`<span class="mono">${value}</span> <a href="/admin/audit?${new URLSearchParams({ [name]: value }).toString()}">rows with this ${name.replace('_', ' ')}</a>`;
}

function dataTable(data: string | null) {
  const entries = Object.entries(data ? (JSON.parse(data) as Record<string, unknown>) : {});
  if (entries.length === 0) return html`<span class="muted">—</span>`;
  return html`<dl class="fields">${entries.map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${typeof v === 'string' ? v : JSON.stringify(v)}</dd>`)}</dl>`;
}

/** A one-line summary of what a row's details say (no hashes): what an upstream call did, which survey, … */
function summary(data: string | null): string {
  const d = data ? (JSON.parse(data) as Record<string, unknown>) : {};
  if (typeof d.method === 'string' && typeof d.status === 'number') return `${d.upstream ?? ''} ${d.method} ${d.route ?? ''} → ${d.status}`.trim();
  return Object.entries(d)
    .filter(([k]) => k !== 'assertion' && k !== 'head_hash' && k !== 'anchor_hash')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function renderAuditDetail(v: { admin: AdminPrincipal; row: AuditRow; hashMatches: boolean; correlation: Correlation }) {
  const { row } = v;
  const body = html`
<p><a href="/admin/audit">← All rows</a></p>
<h1>Row ${row.id}: ${row.event} <span class="outcome-${row.outcome}">(${row.outcome})</span></h1>
<section class="panel" aria-labelledby="fields-h">
  <h2 id="fields-h">Recorded</h2>
  <dl class="fields">
    <dt>Time (UTC)</dt><dd>${utc(row.at)}</dd>
    <dt>Event</dt><dd>${row.event}</dd>
    <dt>Outcome</dt><dd class="outcome-${row.outcome}">${row.outcome}</dd>
    <dt>Reason</dt><dd>${row.reason ?? html`<span class="muted">—</span>`}</dd>
    <dt>Subject</dt><dd>${filterLink('subject', row.subject)}</dd>
    <dt>Client</dt><dd>${filterLink('client', row.clientId)}</dd>
    <dt>Audience</dt><dd class="mono">${row.audience ?? '—'}</dd>
    <dt>Scope</dt><dd class="mono">${row.scope ?? '—'}</dd>
    <dt>Token id (jti)</dt><dd>${filterLink('jti', row.jti)}</dd>
    <dt>Request id</dt><dd>${filterLink('request_id', row.requestId)}</dd>
    <dt>Details</dt><dd>${dataTable(row.data)}</dd>
    <dt>Previous hash</dt><dd class="mono">${row.prevHash}</dd>
    <dt>Hash</dt><dd class="mono">${row.hash} — ${v.hashMatches ? html`<strong class="outcome-success">matches the content</strong>` : html`<strong class="outcome-error">does NOT match the content (edited)</strong>`}</dd>
  </dl>
</section>
<section aria-labelledby="corr-h">
  <h2 id="corr-h">Correlation: what led here and what followed</h2>
  <p class="muted">Rows of the same request, of the same sign-in (from the request that started it) and about the same token${row.jti ? html` (<span class="mono">${row.jti}</span>)` : ''}: sign-in start → SAML login → token → redeem → upstream calls.
  ${v.correlation.truncated ? 'Only the first rows are shown.' : ''}</p>
  <div class="table-wrap" role="region" aria-labelledby="corr-caption" tabindex="0">
  <table>
    <caption id="corr-caption">${v.correlation.rows.length} correlated rows, oldest first</caption>
    <thead><tr><th scope="col">Row</th><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Outcome</th><th scope="col">Linked by</th><th scope="col">Subject</th><th scope="col">Client</th><th scope="col">What</th></tr></thead>
    <tbody>
    ${v.correlation.rows.map(
      ({ row: r, link }) => html`<tr${r.id === row.id ? html` aria-current="true"` : ''}>
      <td>${r.id === row.id ? html`<strong>${r.id}</strong>` : html`<a href="/admin/audit/events/${r.id}">${r.id}</a>`}</td>
      <td>${utc(r.at)}</td><td>${r.event}</td><td class="outcome-${r.outcome}">${r.outcome}</td><td>${LINK_TEXT[link]}</td>
      <td class="mono">${r.subject ?? ''}</td><td class="mono">${r.clientId ?? ''}</td><td>${summary(r.data)}</td>
    </tr>`,
    )}
    </tbody>
  </table>
  </div>
</section>`;
  return layout({ title: `Row ${row.id}`, admin: v.admin, body });
}
