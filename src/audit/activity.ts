import { AUDIT_EVENT_NAMES, type AuditFilter, type AUDIT_OUTCOMES } from './query.js';

/**
 * The review page's activity chart, engine-free: which time axis a filter gets (UTC hours or days, chosen by its
 * span, at most a fixed number of buckets), and the counts the reader's one GROUP BY query returns, laid out per
 * bucket. The reader counts (reader-sql.ts), activity-cache.ts keeps what no longer changes; the admin view draws
 * (admin/views/activity-chart.ts).
 */

type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export type ActivityUnit = 'hour' | 'day';
export const UNIT_MS: Record<ActivityUnit, number> = { hour: 3_600_000, day: 86_400_000 };
/** A span of up to this many UTC hours is drawn per hour; a longer one per day, at most MAX_DAYS (the newest). */
const MAX_HOURS = 48;
export const MAX_DAYS = 60;

/** Event families (`token`, `upstream`…) in declaration order: the chart's stacking order and colours. */
export const EVENT_FAMILIES: readonly string[] = [...new Set(AUDIT_EVENT_NAMES.map((e) => e.split('.')[0]!))];

/** The chart's time axis: `buckets` consecutive UTC hours or days from `start`. */
export interface ActivityWindow {
  start: Date;
  unit: ActivityUnit;
  buckets: number;
}

/** How many matching rows one bucket holds of one event family and outcome (the reader leaves zeros out). */
export interface ActivityCount {
  bucket: number;
  family: string;
  outcome: AuditOutcome;
  count: number;
}

/** When the first and the last row matching a filter were written. */
export interface ActivitySpan {
  first: Date;
  last: Date;
}

export interface ActivityBucket {
  /** The rows this bucket counts: its hour or day, cut to the filter's time range (what a link to them sets). */
  from: Date;
  to: Date;
  /** Rows per outcome, then per event family. */
  counts: Record<AuditOutcome, Record<string, number>>;
  totals: Record<AuditOutcome, number>;
}

export interface Activity {
  unit: ActivityUnit;
  buckets: ActivityBucket[];
  /** The families with at least one row, in EVENT_FAMILIES order (unknown ones last). */
  families: string[];
  /** The filter spans more than MAX_DAYS days: only the newest are drawn. */
  truncated: boolean;
}

const floorTo = (ms: number, unit: ActivityUnit) => Math.floor(ms / UNIT_MS[unit]) * UNIT_MS[unit];
const ceilTo = (ms: number, unit: ActivityUnit) => Math.ceil(ms / UNIT_MS[unit]) * UNIT_MS[unit];

/**
 * The axis for a filter: its from/to where given, else the first/last matching row (`span`); undefined when there
 * is nothing to draw (no row matches and the filter gives no range).
 */
export function planActivity(filter: AuditFilter, span: ActivitySpan | undefined): (ActivityWindow & { truncated: boolean }) | undefined {
  const from = filter.from ?? span?.first;
  // `to` is exclusive: the last row's own millisecond is in.
  const to = filter.to ?? (span && new Date(span.last.getTime() + 1));
  if (!from || !to || from >= to) return undefined;
  const bucketsOf = (unit: ActivityUnit) => (ceilTo(to.getTime(), unit) - floorTo(from.getTime(), unit)) / UNIT_MS[unit];
  if (bucketsOf('hour') <= MAX_HOURS) return { start: new Date(floorTo(from.getTime(), 'hour')), unit: 'hour', buckets: bucketsOf('hour'), truncated: false };
  const days = bucketsOf('day');
  const end = ceilTo(to.getTime(), 'day');
  const buckets = Math.min(days, MAX_DAYS);
  return { start: new Date(end - buckets * UNIT_MS.day), unit: 'day', buckets, truncated: days > MAX_DAYS };
}

/** The end of the window (exclusive). */
export function windowEnd(w: ActivityWindow): Date {
  return new Date(w.start.getTime() + w.buckets * UNIT_MS[w.unit]);
}

/** The times (ms) of the rows bucket `i` of `window` counts: its hour or day, cut to the filter's from/to. */
export function bucketRange(filter: AuditFilter, window: ActivityWindow, i: number): { from: number; to: number } {
  const start = window.start.getTime() + i * UNIT_MS[window.unit];
  const end = start + UNIT_MS[window.unit];
  return { from: Math.max(start, filter.from?.getTime() ?? start), to: Math.min(end, filter.to?.getTime() ?? end) };
}

const zeroCounts = (): Record<AuditOutcome, Record<string, number>> => ({ success: {}, refused: {}, error: {} });

/** Lays the reader's counts out per bucket, every bucket of the window present (zeros included). */
export function activityOf(filter: AuditFilter, window: ActivityWindow & { truncated: boolean }, counts: readonly ActivityCount[]): Activity {
  const buckets: ActivityBucket[] = Array.from({ length: window.buckets }, (_, i) => {
    const { from, to } = bucketRange(filter, window, i);
    return { from: new Date(from), to: new Date(to), counts: zeroCounts(), totals: { success: 0, refused: 0, error: 0 } };
  });
  const present = new Set<string>();
  for (const c of counts) {
    const bucket = buckets[c.bucket];
    if (!bucket) continue;
    bucket.counts[c.outcome][c.family] = (bucket.counts[c.outcome][c.family] ?? 0) + c.count;
    bucket.totals[c.outcome] += c.count;
    present.add(c.family);
  }
  const rank = (f: string) => (EVENT_FAMILIES.includes(f) ? EVENT_FAMILIES.indexOf(f) : EVENT_FAMILIES.length);
  const families = [...present].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return { unit: window.unit, buckets, families, truncated: window.truncated };
}
