import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { EVENT_FAMILIES, type Activity, type ActivityBucket, type ActivityUnit } from '../../audit/activity.js';
import { filterToParams, type AuditFilter } from '../../audit/query.js';

/**
 * The activity chart above the review page's rows: one bar per UTC hour or day, granted rows above the line and
 * refused ones below (each side on its own scale, so a handful of refusals still shows), stacked by event family.
 * Plain inline SVG, styled by classes of the page's one hashed stylesheet (CHART_CSS): no script, no style
 * attribute, so the console's CSP stays as strict as it is. Each refused bar links to its rows; the table after
 * it says the same in words and numbers, for screen readers and for anyone who wants exact counts.
 */

// Geometry, in viewBox units (the SVG scales to the page width).
const W = 1200;
const LEFT = 72;
const RIGHT = 8;
const TOP = 14;
const UP = 100;
const DOWN = 80;
const AXIS = TOP + UP;
const H = AXIS + DOWN + 50;
const MAX_BAR = 36;

/** Okabe–Ito, distinguishable with the common colour-vision deficiencies; one per family, in EVENT_FAMILIES order. */
const PALETTE = ['#0072b2', '#56b4e9', '#009e73', '#e69f00', '#cc79a7', '#f0e442', '#d55e00', '#1f2328', '#999999'];

export const CHART_CSS = `
svg.activity { display: block; width: 100%; height: auto; }
svg.activity text { font: 12px system-ui, sans-serif; fill: var(--muted); }
svg.activity text.count { fill: var(--bad); font-weight: 600; }
svg.activity .axis { stroke: var(--fg); }
svg.activity .grid { stroke: var(--line); stroke-dasharray: 3 3; }
svg.activity .hit { fill: transparent; }
svg.activity .refused-band { fill: #fff1f0; }
svg.activity a:hover .hit, svg.activity a:focus .hit { fill: #ffebe9; stroke: var(--bad); stroke-width: 2; }
svg.activity a:focus { outline: none; }
svg .err { fill: #fff; stroke: var(--bad); stroke-width: 1.5; }
${EVENT_FAMILIES.map((f, i) => `svg .fam-${f} { fill: ${PALETTE[i % PALETTE.length]}; }`).join('\n')}
svg .fam-other { fill: #bbbbbb; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .2rem 1.1rem; padding: 0; margin: .2rem 0 .6rem; font-size: .85rem; }
ul.legend svg { vertical-align: -1px; margin-right: .3rem; }
details.counts summary { cursor: pointer; font-weight: 600; margin-top: .4rem; }
`;

const familyClass = (family: string) => `fam-${EVENT_FAMILIES.includes(family) ? family : 'other'}`;
const two = (n: number) => String(n).padStart(2, '0');
const day = (d: Date) => d.toISOString().slice(0, 10);
const clock = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
const WHOLE_DAY = 86_400_000;
/** `2026-03-10 10:00`. */
export const minute = (d: Date) => `${day(d)} ${clock(d)}`;

/** A bucket's period in words: `2026-03-10 10:00–11:00`, `2026-03-10` for a whole day. */
export function periodText(b: ActivityBucket, unit: ActivityUnit): string {
  if (unit === 'hour') return `${day(b.from)} ${clock(b.from)}–${clock(b.to)}`;
  const whole = b.to.getTime() - b.from.getTime() === WHOLE_DAY && clock(b.from) === '00:00';
  return whole ? day(b.from) : `${minute(b.from)} – ${minute(b.to)}`;
}

/** The review page for the refused rows of one bucket: the current filter, its time range and outcome replaced. */
export function refusedRowsHref(filter: AuditFilter, b: ActivityBucket): string {
  return `/admin/audit?${filterToParams({ ...filter, from: b.from, to: b.to, outcome: 'refused' }).toString()}`;
}

const refusedLabel = (b: ActivityBucket, unit: ActivityUnit) => `Show the ${b.totals.refused} refused rows of ${periodText(b, unit)} UTC`;

const round = (n: number) => Math.round(n * 10) / 10;
/** A count's bar height on a side of `px` whose tallest bar is `max`; a non-zero count stays visible. */
const heightOf = (n: number, max: number, px: number) => (n === 0 ? 0 : Math.max(2, (n / max) * px));

interface Segment {
  cls: string;
  count: number;
  what: string;
}

/** One side's stacked segments, from the axis outwards (`dir` -1: up, 1: down). */
function stack(segments: Segment[], x: number, width: number, max: number, px: number, dir: -1 | 1, period: string) {
  let offset = 0;
  return segments.map((s) => {
    const h = heightOf(s.count, max, px);
    const y = dir < 0 ? AXIS - offset - h : AXIS + offset;
    offset += h;
    return html`<rect class="${s.cls}" x="${round(x)}" y="${round(y)}" width="${round(width)}" height="${round(h)}"><title>${period} UTC: ${s.count} ${s.what}</title></rect>`;
  });
}

const segmentsOf = (b: ActivityBucket, families: string[], outcome: 'success' | 'refused', what: string): Segment[] =>
  families.filter((f) => b.counts[outcome][f]).map((f) => ({ cls: familyClass(f), count: b.counts[outcome][f]!, what: `${f} ${what}` }));

function bars(activity: Activity, filter: AuditFilter, slot: number, max: { up: number; down: number }) {
  const width = Math.min(MAX_BAR, slot * 0.75);
  return activity.buckets.map((b, i) => {
    const x = LEFT + i * slot + (slot - width) / 2;
    const period = periodText(b, activity.unit);
    const up = stack(segmentsOf(b, activity.families, 'success', 'granted'), x, width, max.up, UP, -1, period);
    const below = [...segmentsOf(b, activity.families, 'refused', 'refused'), ...(b.totals.error ? [{ cls: 'err', count: b.totals.error, what: 'failed (error)' }] : [])];
    const down = stack(below, x, width, max.down, DOWN, 1, period);
    const depth = heightOf(b.totals.refused + b.totals.error, max.down, DOWN);
    const count = b.totals.refused && slot >= 18 ? html`<text class="count" x="${round(x + width / 2)}" y="${round(AXIS + depth + 13)}" text-anchor="middle">${b.totals.refused}</text>` : '';
    if (!b.totals.refused) return html`<g aria-hidden="true">${up}${down}</g>`;
    const label = refusedLabel(b, activity.unit);
    return html`<g aria-hidden="true">${up}</g><a href="${refusedRowsHref(filter, b)}" aria-label="${label}"><title>${label}</title><rect class="hit" x="${round(LEFT + i * slot)}" y="${AXIS}" width="${round(slot)}" height="${DOWN + 16}"/>${down}${count}</a>`;
  });
}

/** Time labels under the axis: at most 16, on a round step; the date again wherever it changes. */
function timeLabels(activity: Activity, slot: number) {
  const step = [1, 2, 3, 4, 6, 8, 12].find((k) => activity.buckets.length / k <= 16) ?? 12;
  let lastDay = '';
  return activity.buckets.map((b, i) => {
    if (i % step) return '';
    const x = round(LEFT + i * slot + slot / 2);
    const date = day(b.from);
    const dateLine = activity.unit === 'hour' && date !== lastDay ? html`<text x="${x}" y="${H - 6}" text-anchor="middle">${date.slice(5)}</text>` : '';
    lastDay = date;
    return html`<text x="${x}" y="${H - 22}" text-anchor="middle">${activity.unit === 'hour' ? clock(b.from) : date.slice(5)}</text>${dateLine}`;
  });
}

/** The SVG; `summary` is its accessible name. */
export function activitySvg(activity: Activity, filter: AuditFilter, summary: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  const slot = (W - LEFT - RIGHT) / activity.buckets.length;
  const max = { up: Math.max(1, ...activity.buckets.map((b) => b.totals.success)), down: Math.max(1, ...activity.buckets.map((b) => b.totals.refused + b.totals.error)) };
  return html`<svg class="activity" viewBox="0 0 ${W} ${H}" role="group" aria-label="${summary}"><title>${summary}</title>
<g aria-hidden="true">
  <rect class="refused-band" x="${LEFT}" y="${AXIS}" width="${W - LEFT - RIGHT}" height="${DOWN}"/>
  <line class="grid" x1="${LEFT}" y1="${TOP}" x2="${W - RIGHT}" y2="${TOP}"/><line class="grid" x1="${LEFT}" y1="${AXIS + DOWN}" x2="${W - RIGHT}" y2="${AXIS + DOWN}"/>
  <text x="${LEFT - 8}" y="${TOP + 4}" text-anchor="end">${max.up}</text><text x="${LEFT - 8}" y="${TOP + 20}" text-anchor="end">granted</text>
  <text x="${LEFT - 8}" y="${AXIS + 4}" text-anchor="end">0</text>
  <text x="${LEFT - 8}" y="${AXIS + DOWN - 12}" text-anchor="end">refused</text><text x="${LEFT - 8}" y="${AXIS + DOWN + 4}" text-anchor="end">${max.down}</text>
  ${timeLabels(activity, slot)}
</g>
${bars(activity, filter, slot, max)}
<line class="axis" x1="${LEFT}" y1="${AXIS}" x2="${W - RIGHT}" y2="${AXIS}" aria-hidden="true"/>
</svg>`;
}
