import { html } from 'hono/html';
import { MAX_DAYS, type Activity, type ActivityBucket } from '../../audit/activity.js';
import type { AuditFilter } from '../../audit/query.js';
import { activitySvg, minute, periodText, refusedRowsHref } from './activity-chart.js';

/** The review page's activity panel: a summary line, the legend, the chart, and the same counts as a table. */

const OUTCOME_WORDS = [
  ['success', 'granted'],
  ['refused', 'refused'],
  ['error', 'failed'],
] as const;

const sum = (activity: Activity, outcome: keyof ActivityBucket['totals']) => activity.buckets.reduce((n, b) => n + b.totals[outcome], 0);

/** `token: 3 granted, 1 refused; upstream: 2 granted`. */
function byFamily(b: ActivityBucket, families: string[]): string {
  return families
    .map((f) => {
      const parts = OUTCOME_WORDS.filter(([o]) => b.counts[o][f]).map(([o, word]) => `${b.counts[o][f]} ${word}`);
      return parts.length ? `${f}: ${parts.join(', ')}` : '';
    })
    .filter(Boolean)
    .join('; ');
}

function countsTable(activity: Activity, filter: AuditFilter) {
  const unit = activity.unit === 'hour' ? 'Hour' : 'Day';
  const rows = activity.buckets.filter((b) => b.totals.success + b.totals.refused + b.totals.error > 0);
  return html`<details class="counts"><summary>The chart's counts as a table</summary>
<table id="activity-table">
  <caption>Rows per ${unit.toLowerCase()} (UTC) matching the filters; ${unit.toLowerCase()}s without rows are left out</caption>
  <thead><tr><th scope="col">${unit} (UTC)</th><th scope="col">Granted</th><th scope="col">Refused</th><th scope="col">Failed (error)</th><th scope="col">By event family</th></tr></thead>
  <tbody>
  ${rows.map(
    (b) => html`<tr><th scope="row">${periodText(b, activity.unit)}</th><td>${b.totals.success}</td>
    <td>${b.totals.refused ? html`<a href="${refusedRowsHref(filter, b)}" aria-label="Show the ${b.totals.refused} refused rows of ${periodText(b, activity.unit)} UTC">${b.totals.refused}</a>` : '0'}</td>
    <td>${b.totals.error}</td><td>${byFamily(b, activity.families)}</td></tr>`,
  )}
  </tbody>
</table></details>`;
}

function legend(activity: Activity) {
  const swatch = (cls: string) => html`<svg width="12" height="12" aria-hidden="true"><rect class="${cls}" x="1" y="1" width="10" height="10"/></svg>`;
  return html`<ul class="legend" aria-label="Event families">
  ${activity.families.map((f) => html`<li>${swatch(`fam-${f}`)}${f}</li>`)}
  ${sum(activity, 'error') ? html`<li>${swatch('err')}failed (error), any family</li>` : ''}
</ul>`;
}

/** Nothing when there is nothing to chart (no row matches and the filter gives no time range). */
export function activityPanel(activity: Activity | undefined, filter: AuditFilter) {
  if (!activity) return '';
  const range = `${minute(activity.buckets[0]!.from)} to ${minute(activity.buckets.at(-1)!.to)} UTC`;
  const totals = `${sum(activity, 'success')} granted, ${sum(activity, 'refused')} refused, ${sum(activity, 'error')} failed`;
  const summary = `Rows per ${activity.unit}, ${range}: ${totals}. Granted rows above the line, refused and failed below, by event family.`;
  const empty = !activity.families.length;
  return html`<section class="panel" aria-labelledby="activity-h">
  <h2 id="activity-h">Activity</h2>
  <p id="activity-summary">Per ${activity.unit}, ${range}: ${totals}.${empty ? '' : ' Granted rows above the line, refused below (each side on its own scale); select a refused bar to list its rows.'}
  ${activity.truncated ? html`<strong>Only the newest ${MAX_DAYS} days are drawn</strong>: set From and To for an earlier period.` : ''}</p>
  ${empty ? '' : html`${legend(activity)}${activitySvg(activity, filter, summary)}${countsTable(activity, filter)}`}
</section>`;
}
