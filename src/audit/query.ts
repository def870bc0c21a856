import { z } from 'zod';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { AuditRow } from '../db/schema/audit-log.js';
import { auditEventSchema } from './events.js';

/**
 * Filters and keyset pagination over the audit log (the query API, the review page and exports share them).
 * Pure parsing here; each engine's AuditReader turns a filter into its query (reader-sqlite.ts).
 */

/** Every event name of the closed union, in declaration order (for the review page's event list). */
export const AUDIT_EVENT_NAMES: readonly string[] = auditEventSchema.options.map((o) => o.shape.event.value);
export const AUDIT_OUTCOMES = ['success', 'refused', 'error'] as const;

// An ISO 8601 time with zone, or a zone-less `YYYY-MM-DD[THH:MM[:SS[.mmm]]]` (what <input type=datetime-local>
// sends), read as UTC so that a filter means the same on every screen.
const TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
const time = z
  .string()
  .regex(TIME, 'expected an ISO 8601 time such as 2026-11-23T10:00:00Z')
  .transform((v, ctx) => {
    const zoned = /(?:Z|[+-]\d{2}:\d{2})$/.test(v) || !v.includes('T') ? v : `${v}Z`;
    const t = Date.parse(v.includes('T') ? zoned : `${v}T00:00:00Z`);
    if (Number.isNaN(t) || !realCalendarTime(v)) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid time' });
      return z.NEVER;
    }
    return new Date(t);
  });
/** Date.parse rolls 2026-02-30 over into March; a filter with an impossible date is a typo, not a time. */
function realCalendarTime(v: string): boolean {
  const [y, mo, d, h = 0, mi = 0, sec = 0] = (v.match(/\d+/g) ?? []).map(Number) as number[];
  const days = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= days && h < 24 && mi < 60 && sec < 60;
}
const text = (max: number) => z.string().min(1).max(max);
/** An event name, or a family `upstream.*`. */
const eventName = z.string().max(64).regex(/^[a-z][a-z_]*(?:\.[a-z_]+)*(?:\.\*)?$/, 'expected an event name such as token.issue or a family such as upstream.*');

export const auditFilterSchema = z.strictObject({
  /** Rows at or after this time. */
  from: time.optional(),
  /** Rows before this time. */
  to: time.optional(),
  subject: text(512).optional(),
  survey: text(128).optional(),
  client: text(256).optional(),
  /** One audience among the row's audiences. */
  audience: text(512).optional(),
  event: z.array(eventName).max(32).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  request_id: text(128).optional(),
  jti: text(128).optional(),
});

export type AuditFilter = z.output<typeof auditFilterSchema>;
export type AuditOrder = 'asc' | 'desc';

const FILTER_KEYS = Object.keys(auditFilterSchema.shape) as (keyof AuditFilter)[];
/** Query parameters that are not filters but are allowed next to them. */
const PAGING_KEYS = new Set(['limit', 'cursor', 'order', 'format']);

/**
 * Reads a filter from query parameters. Empty values mean "no filter" (what an empty form field sends);
 * `event` may repeat; an unknown parameter or a malformed value is invalid_request naming the parameter.
 */
export function parseAuditFilter(params: URLSearchParams, extraKeys: ReadonlySet<string> = PAGING_KEYS): AuditFilter {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (extraKeys.has(name)) continue;
    if (!(FILTER_KEYS as string[]).includes(name)) throw new InvalidRequest(`unknown filter "${name.slice(0, 40)}"`);
    if (value === '') continue;
    if (name === 'event') (raw.event as string[] | undefined)?.push(value) ?? (raw.event = [value]);
    else if (name in raw) throw new InvalidRequest(`parameter ${name} is included more than once`);
    else raw[name] = value;
  }
  const parsed = auditFilterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequest(`${issue.path.join('.') || 'filter'}: ${issue.message}`);
  }
  if (parsed.data.from && parsed.data.to && parsed.data.from >= parsed.data.to) throw new InvalidRequest('from: must be before to');
  return parsed.data;
}

/** The filter as query parameters (the review page's links and export buttons keep the filter this way). */
export function filterToParams(filter: AuditFilter): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value === undefined) continue;
    for (const one of [value].flat()) out.append(key, one instanceof Date ? one.toISOString() : String(one));
  }
  return out;
}

/** A short, stable description of a filter for audit rows and export headers ("all rows" when empty). */
export function describeFilter(filter: AuditFilter): string {
  const params = filterToParams(filter).toString();
  return (params || 'all rows').slice(0, 1024);
}

export function isEmptyFilter(filter: AuditFilter): boolean {
  return FILTER_KEYS.every((k) => filter[k] === undefined);
}

// ── keyset pagination ──

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * An opaque cursor: the order and the id of the last row of the previous page. Paging by id (not OFFSET) keeps
 * pages stable while rows are appended: newest-first pages only ever move to smaller ids, and oldest-first pages
 * simply reach the new rows at the end; no row is skipped or repeated.
 */
export function encodeCursor(order: AuditOrder, id: number): string {
  return Buffer.from(`${order}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string, order: AuditOrder): number {
  const text = /^[A-Za-z0-9_-]{1,32}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^(asc|desc):(\d{1,15})$/.exec(text);
  if (!m) throw new InvalidRequest('cursor: malformed (pass next_cursor from the previous page unchanged)');
  if (m[1] !== order) throw new InvalidRequest('cursor: belongs to the other order');
  return Number(m[2]);
}

export interface PageRequest {
  limit: number;
  order: AuditOrder;
  /** Row id to continue after (exclusive); from `decodeCursor`. */
  after?: number | undefined;
}

/** limit / order / cursor from query parameters, checked. */
export function parsePageRequest(params: URLSearchParams): PageRequest {
  const order = params.get('order') || 'desc';
  if (order !== 'asc' && order !== 'desc') throw new InvalidRequest('order: expected asc or desc');
  const limitText = params.get('limit') || String(DEFAULT_PAGE_SIZE);
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_PAGE_SIZE) {
    throw new InvalidRequest(`limit: expected 1..${MAX_PAGE_SIZE}`);
  }
  const cursor = params.get('cursor');
  return { limit: Number(limitText), order, after: cursor ? decodeCursor(cursor, order) : undefined };
}

export interface AuditPage {
  rows: AuditRow[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  nextCursor: string | undefined;
}

/** The JSON form of a row in the API: ISO time, lists for audience/scope, `data` parsed. */
export function rowToJson(row: AuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    event: row.event,
    outcome: row.outcome,
    request_id: row.requestId,
    client_id: row.clientId,
    subject: row.subject,
    audience: row.audience ? row.audience.split(' ') : [],
    scope: row.scope ? row.scope.split(' ') : [],
    jti: row.jti,
    reason: row.reason,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : {},
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}
