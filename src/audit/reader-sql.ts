import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { auditAnchor as pgAuditAnchor } from '../db/schema-pg/audit-anchor.js';
import type { auditLog as pgAuditLog } from '../db/schema-pg/audit-log.js';
import type { auditAnchor as sqliteAuditAnchor } from '../db/schema/audit-anchor.js';
import type { AuditRow, auditLog as sqliteAuditLog } from '../db/schema/audit-log.js';
import type { ChainAnchor } from './anchor.js';
import { GENESIS_HASH } from './chain.js';
import { encodeCursor, type AuditFilter, type AuditPage, type PageRequest } from './query.js';
import { UNIT_MS, windowEnd, type ActivityWindow } from './activity.js';
import type { RowRange } from './reader.js';

/**
 * The conditions of the audit reads, built once for both engines (every value a bound parameter): each engine's
 * reader runs them on its own table and says how it spells the few expressions that differ.
 */
export interface AuditSqlDialect {
  table: typeof sqliteAuditLog | typeof pgAuditLog;
  /** Member `key` of the row's JSON `data` (written by the service, so valid), as text; NULL when absent. */
  dataMember(key: 'survey'): SQL;
  /** `data.start_request`, spelled as its partial index is (schema's `startRequestOf`), so the index is used. */
  startRequest: SQL;
  /** Whether `text` contains `part` (a plain substring: no LIKE, since URLs hold % and _). */
  contains(text: SQL, part: string): SQL;
  /** Whether `event` starts with `prefix` (no LIKE, whose `_` would be a wildcard). */
  eventStartsWith(prefix: string): SQL;
  /** The event's family: its name up to the first dot (`upstream` of `upstream.call`). */
  eventFamily(): SQL;
  /** Which `unitMs`-long bucket from `startMs` the row's time falls in (0, 1, …), as an integer. */
  bucketIndex(startMs: number, unitMs: number): SQL;
}

/** The WHERE clause of a filter; undefined when it selects every row. */
export function filterCondition(d: AuditSqlDialect, f: AuditFilter): SQL | undefined {
  const t = d.table;
  const parts: (SQL | undefined)[] = [
    f.from && gte(t.at, f.from),
    f.to && lt(t.at, f.to),
    f.subject !== undefined ? eq(t.subject, f.subject) : undefined,
    f.client !== undefined ? eq(t.clientId, f.client) : undefined,
    f.request_id !== undefined ? eq(t.requestId, f.request_id) : undefined,
    f.jti !== undefined ? eq(t.jti, f.jti) : undefined,
    f.outcome !== undefined ? eq(t.outcome, f.outcome) : undefined,
    f.survey !== undefined ? eq(d.dataMember('survey'), f.survey) : undefined,
    // Audiences are stored space-joined: match a whole one.
    f.audience !== undefined ? d.contains(sql`' ' || ${t.audience} || ' '`, ` ${f.audience} `) : undefined,
    f.event?.length ? eventCondition(d, f.event) : undefined,
  ];
  const present = parts.filter((p): p is SQL => p !== undefined);
  return present.length ? and(...present) : undefined;
}

function eventCondition(d: AuditSqlDialect, events: string[]): SQL | undefined {
  const exact = events.filter((e) => !e.endsWith('.*'));
  // A family `upstream.*` is a prefix match.
  const families = events.filter((e) => e.endsWith('.*')).map((e) => e.slice(0, -1));
  return or(...(exact.length ? [inArray(d.table.event, exact)] : []), ...families.map((prefix) => d.eventStartsWith(prefix)));
}

/** WHERE, ORDER BY and LIMIT of one keyset page (one row more than asked, to know whether another page follows). */
export function pageQuery(d: AuditSqlDialect, filter: AuditFilter, page: PageRequest): { where: SQL | undefined; order: SQL; limit: number } {
  const id = d.table.id;
  const keyset = page.after === undefined ? undefined : page.order === 'desc' ? lt(id, page.after) : gt(id, page.after);
  return { where: and(filterCondition(d, filter), keyset), order: page.order === 'desc' ? desc(id) : asc(id), limit: page.limit + 1 };
}

/** The page of the rows `pageQuery` read. */
export function pageOf(rows: AuditRow[], page: PageRequest): AuditPage {
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  return { rows: shown, nextCursor: more ? encodeCursor(page.order, shown.at(-1)!.id) : undefined };
}

/**
 * Rows of any of these requests (written in one, or of a sign-in one started) or about any of these tokens;
 * undefined when there is nothing to look for. Each branch is an index lookup.
 */
export function linkedCondition(d: AuditSqlDialect, requestIds: readonly string[], jtis: readonly string[]): SQL | undefined {
  if (!requestIds.length && !jtis.length) return undefined;
  // The IS NOT NULL repeats the partial index's condition, which lets both engines use it.
  const ofSignIn = requestIds.length ? and(isNotNull(d.startRequest), inArray(d.startRequest, [...requestIds])) : undefined;
  return or(requestIds.length ? inArray(d.table.requestId, [...requestIds]) : undefined, ofSignIn, jtis.length ? inArray(d.table.jti, [...jtis]) : undefined);
}

/**
 * The activity query's parts: the filter cut to the window, and the bucket and family of a row. Engines group by
 * position (GROUP BY 1, 2, 3): PostgreSQL would not see two copies of an expression with bound values as one.
 */
export function activityQuery(d: AuditSqlDialect, filter: AuditFilter, window: ActivityWindow): { where: SQL | undefined; bucket: SQL<number>; family: SQL<string> } {
  const t = d.table;
  return {
    where: and(filterCondition(d, filter), gte(t.at, window.start), lt(t.at, windowEnd(window))),
    bucket: d.bucketIndex(window.start.getTime(), UNIT_MS[window.unit]).mapWith(Number),
    family: d.eventFamily().mapWith(String),
  };
}

/** The span's MIN/MAX of a filter's rows, as the engine returned them (no row: both null). */
export function spanOf(row: { first: Date | null; last: Date | null } | undefined): { first: Date; last: Date } | undefined {
  return row?.first && row.last ? { first: row.first, last: row.last } : undefined;
}

/** Rows read per page by `pages`: one page at a time is all a verification or an export holds in memory. */
const PAGE = 1000;

/** The rows of `range` in id order, a page at a time; `read` runs one page's query on the engine. */
export async function* rangePages(
  d: AuditSqlDialect,
  range: RowRange,
  read: (where: SQL | undefined, limit: number) => AuditRow[] | Promise<AuditRow[]>,
): AsyncGenerator<AuditRow[]> {
  const t = d.table;
  const where = range.filter ? filterCondition(d, range.filter) : undefined;
  const upTo = range.through === undefined ? undefined : lte(t.id, range.through);
  for (let after = range.after; ; ) {
    const page = await read(and(gt(t.id, after), upTo, where), PAGE);
    if (page.length) yield page;
    if (page.length < PAGE) return;
    after = page.at(-1)!.id;
  }
}

/** The stored anchor, or row 1 with the genesis hash when the log was never pruned. */
export function anchorOf(row: typeof sqliteAuditAnchor.$inferSelect | typeof pgAuditAnchor.$inferSelect | undefined): ChainAnchor {
  return row ? { firstId: row.firstId, prevHash: row.prevHash, prunedAt: row.prunedAt } : { firstId: 1, prevHash: GENESIS_HASH, prunedAt: undefined };
}
