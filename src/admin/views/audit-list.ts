import { html } from 'hono/html';
import type { Activity } from '../../audit/activity.js';
import type { ChainStatus } from '../../audit/chain-status.js';
import { AUDIT_EVENT_NAMES, AUDIT_OUTCOMES, filterToParams, type AuditFilter } from '../../audit/query.js';
import type { AuditCheckpointRow } from '../../db/schema/audit-checkpoints.js';
import type { AuditRow } from '../../db/schema/audit-log.js';
import type { AdminPrincipal } from '../sessions.js';
import { activityPanel } from './activity-panel.js';
import { layout, utc } from './layout.js';

export interface AuditListView {
  admin: AdminPrincipal;
  filter: AuditFilter;
  /** The raw query values, echoed back into the form (even when invalid, so they can be corrected). */
  form: Record<string, string>;
  error: string | undefined;
  rows: AuditRow[];
  /** The chart of every row the filters select (undefined: nothing to chart). */
  activity: Activity | undefined;
  nextCursor: string | undefined;
  isFirstPage: boolean;
  status: ChainStatus;
  checkpoint: AuditCheckpointRow | undefined;
  notice: string | undefined;
}

/** The survey a row is about (its `data.survey`), for the table. */
function surveyOf(row: AuditRow): string {
  if (!row.data) return '';
  const survey = (JSON.parse(row.data) as { survey?: unknown }).survey;
  return typeof survey === 'string' ? survey : '';
}

/** An identifier on one line (a wrapped id is hard to read and to compare); cut with an ellipsis, whole in its title. */
function idText(value: string | null) {
  return value ? html`<span class="id" title="${value}">${value}</span>` : '';
}

export function chainStatusPanel(status: ChainStatus, checkpoint: AuditCheckpointRow | undefined, admin: AdminPrincipal) {
  const body =
    status.state === 'verified'
      ? html`<p><strong>✓ Chain verified</strong> ${status.lastId === null ? html`(the log is empty)` : html`up to row <strong id="chain-head">${status.lastId}</strong>, written ${utc(status.lastAt)}`}
          — ${status.rows} rows from the anchor; checked ${utc(status.checkedAt)} (${status.full ? 'full check, with the signed checkpoints' : 'rows since the last full check'}).</p>`
      : html`<p><strong>✗ Chain broken${status.badRowId === null ? '' : html` at row <span id="chain-bad">${status.badRowId}</span>`}</strong>: ${status.problem}. Checked ${utc(status.checkedAt)}.</p>`;
  return html`<section class="panel ${status.state === 'verified' ? 'status-ok' : 'status-bad'}" aria-labelledby="status-h">
  <h2 id="status-h">Chain status</h2>
  ${body}
  <p>${checkpoint ? html`Latest signed checkpoint: row ${checkpoint.lastId} at ${utc(checkpoint.at)} (key <span class="mono">${checkpoint.kid}</span>), published at <a href="/audit/checkpoints/latest">/audit/checkpoints/latest</a>.` : html`No signed checkpoint yet.`}</p>
  <div class="actions">
    <form method="post" action="/admin/audit/verify"><input type="hidden" name="csrf_token" value="${admin.csrfToken}"><button type="submit" class="secondary">Verify the whole chain now</button></form>
    ${admin.role === 'admin' ? html`<form method="post" action="/admin/audit/checkpoints"><input type="hidden" name="csrf_token" value="${admin.csrfToken}"><button type="submit" class="secondary">Sign a checkpoint now</button></form>` : ''}
  </div>
</section>`;
}

function textField(id: string, label: string, value: string | undefined, extra: { type?: string; hint?: string } = {}) {
  return html`<div><label for="f-${id}">${label}</label><input id="f-${id}" name="${id}" type="${extra.type ?? 'text'}" value="${value ?? ''}"${extra.hint ? html` placeholder="${extra.hint}"` : ''} autocomplete="off"></div>`;
}

function selectField(id: string, label: string, options: readonly string[], selected: string | undefined) {
  return html`<div><label for="f-${id}">${label}</label><select id="f-${id}" name="${id}">
  <option value="">any</option>
  ${options.map((o) => html`<option value="${o}"${o === selected ? ' selected' : ''}>${o}</option>`)}
</select></div>`;
}

/** datetime-local wants `YYYY-MM-DDTHH:MM[:SS]` without a zone; the page says the times are UTC. */
function localValue(form: Record<string, string>, key: 'from' | 'to', filter: AuditFilter): string | undefined {
  const d = filter[key];
  return d ? d.toISOString().slice(0, 19) : form[key];
}

/** One audit row in the table: its id links to the row's details page. */
function rowHtml(r: AuditListView['rows'][number]) {
  return html`<tr>
    <td><a href="/admin/audit/events/${r.id}" aria-label="Row ${r.id}: ${r.event}, details">${r.id}</a></td>
    <td>${utc(r.at)}</td>
    <td>${r.event}</td>
    <td class="outcome-${r.outcome}">${r.outcome}</td>
    <td class="mono">${idText(r.subject)}</td>
    <td class="mono">${idText(r.clientId)}</td>
    <td>${idText(surveyOf(r))}</td>
    <td class="mono">${r.audience ?? ''}${r.scope ? html`<br><span class="muted">${r.scope}</span>` : ''}</td>
    <td class="reason">${r.reason ?? ''}</td>
  </tr>`;
}

export function renderAuditList(v: AuditListView) {
  const params = filterToParams(v.filter);
  const withParams = (extra: Record<string, string>) => {
    const p = new URLSearchParams(params);
    for (const [k, val] of Object.entries(extra)) p.set(k, val);
    return p.toString();
  };
  const families = [...new Set(AUDIT_EVENT_NAMES.map((e) => `${e.split('.')[0]}.*`))];
  const body = html`
<h1>Audit log</h1>
${v.notice ? html`<p class="panel" role="status">${v.notice}</p>` : ''}
${chainStatusPanel(v.status, v.checkpoint, v.admin)}
<form class="panel" method="get" action="/admin/audit" role="search" aria-labelledby="filters-h">
  <h2 id="filters-h">Filters</h2>
  ${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
  <fieldset>
    <legend class="skip">Filter the audit rows</legend>
    ${textField('from', 'From (UTC)', localValue(v.form, 'from', v.filter), { type: 'datetime-local' })}
    ${textField('to', 'To (UTC, exclusive)', localValue(v.form, 'to', v.filter), { type: 'datetime-local' })}
    ${textField('subject', 'Subject', v.form.subject, { hint: 'e.g. alice@example.edu' })}
    ${textField('survey', 'Survey', v.form.survey, { hint: 'e.g. course-eval' })}
    ${textField('client', 'Client', v.form.client, { hint: 'e.g. survey:course-eval' })}
    ${textField('audience', 'Audience', v.form.audience, { hint: 'e.g. https://sis.example.edu' })}
    ${selectField('event', 'Event', [...AUDIT_EVENT_NAMES, ...families], v.form.event)}
    ${selectField('outcome', 'Outcome', AUDIT_OUTCOMES, v.form.outcome)}
    ${textField('request_id', 'Request id', v.form.request_id)}
    ${textField('jti', 'Token id (jti)', v.form.jti)}
  </fieldset>
  <div class="actions">
    <button type="submit">Apply filters</button>
    <a class="button secondary" href="/admin/audit">Clear</a>
    <span class="muted">Export the rows these filters select:</span>
    <a class="button secondary" id="export-csv" href="/admin/api/audit/export?${withParams({ format: 'csv' })}" download>CSV</a>
    <a class="button secondary" id="export-jsonl" href="/admin/api/audit/export?${withParams({ format: 'jsonl' })}" download>JSON Lines (verifiable)</a>
  </div>
</form>
${activityPanel(v.activity, v.filter)}
<div class="table-wrap" role="region" aria-labelledby="rows-caption" tabindex="0">
<table>
  <caption id="rows-caption">${v.rows.length === 0 ? 'No rows match these filters' : `${v.rows.length} rows, newest first (row ${v.rows[0]!.id} down to row ${v.rows.at(-1)!.id})`}</caption>
  <thead><tr><th scope="col">Row</th><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Outcome</th><th scope="col">Subject</th><th scope="col">Client</th><th scope="col">Survey</th><th scope="col">Audience / scope</th><th scope="col">Reason</th></tr></thead>
  <tbody>
  ${v.rows.map(rowHtml)}
  </tbody>
</table>
</div>
<nav class="pages" aria-label="Pages">
  ${v.isFirstPage ? '' : html`<a href="/admin/audit?${withParams({})}">Newest rows</a>`}
  ${v.nextCursor ? html`<a id="older" href="/admin/audit?${withParams({ cursor: v.nextCursor })}">Older rows →</a>` : html`<span class="muted">No older rows.</span>`}
</nav>`;
  return layout({ title: 'Audit log', admin: v.admin, body });
}
