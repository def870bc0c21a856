import { and, asc, count, desc, eq, gt, gte, inArray, lt, lte, max, min, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditAnchor } from '../db/schema/audit-anchor.js';
import { auditLog } from '../db/schema/audit-log.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import type { ChainAnchor } from './anchor.js';
import { GENESIS_HASH } from './chain.js';
import { encodeCursor, type AuditFilter } from './query.js';
import type { AuditReader } from './reader.js';

/** Rows read per page by `pages`: one page at a time is all a verification or an export holds in memory. */
const PAGE = 1000;

/** The SQLite audit reader: every filter value is a bound parameter. */
// long: the module's closure scope, one short method per AuditReader operation.
export function createSqliteAuditReader(db: Db): AuditReader {
  return {
    async page(filter, page) {
      const keyset = page.after === undefined ? undefined : page.order === 'desc' ? lt(auditLog.id, page.after) : gt(auditLog.id, page.after);
      const rows = db
        .select()
        .from(auditLog)
        .where(and(filterCondition(filter), keyset))
        .orderBy(page.order === 'desc' ? desc(auditLog.id) : asc(auditLog.id))
        .limit(page.limit + 1)
        .all();
      const more = rows.length > page.limit;
      const shown = more ? rows.slice(0, page.limit) : rows;
      return { rows: shown, nextCursor: more ? encodeCursor(page.order, shown.at(-1)!.id) : undefined };
    },
    row: async (id) => db.select().from(auditLog).where(eq(auditLog.id, id)).get(),
    head: async () => db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1).get(),
    async linked(requestIds, jtis, limit) {
      if (!requestIds.length && !jtis.length) return [];
      const where = or(requestIds.length ? inArray(auditLog.requestId, [...requestIds]) : undefined, jtis.length ? inArray(auditLog.jti, [...jtis]) : undefined);
      return db.select().from(auditLog).where(where).orderBy(asc(auditLog.id)).limit(limit).all();
    },
    async loginStarts(login, windowMs, limit) {
      const data = login.data ? (JSON.parse(login.data) as { purpose?: string; idp?: string; survey?: string }) : {};
      return db
        .select()
        .from(auditLog)
        .where(
          and(
            eq(auditLog.event, 'saml.start'),
            eq(auditLog.outcome, 'success'),
            lt(auditLog.id, login.id),
            gte(auditLog.at, new Date(login.at.getTime() - windowMs)),
            lte(auditLog.at, login.at),
            sql`json_extract(${auditLog.data}, '$.purpose') IS ${data.purpose ?? null}`,
            sql`json_extract(${auditLog.data}, '$.idp') IS ${data.idp ?? null}`,
            sql`json_extract(${auditLog.data}, '$.survey') IS ${data.survey ?? null}`,
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(limit)
        .all();
    },
    async *pages(range, tx) {
      const on = tx ? sqliteOf(tx) : db;
      const where = range.filter ? filterCondition(range.filter) : undefined;
      for (let after = range.after; ; ) {
        const upTo = range.through === undefined ? undefined : lte(auditLog.id, range.through);
        const page = on.select().from(auditLog).where(and(gt(auditLog.id, after), upTo, where)).orderBy(asc(auditLog.id)).limit(PAGE).all();
        if (page.length) yield page;
        if (page.length < PAGE) return;
        after = page.at(-1)!.id;
      }
    },
    anchor: async (tx) => readAnchor(tx ? sqliteOf(tx) : db),
    async pruneCut(tx, before) {
      const on = sqliteOf(tx);
      const anchor = readAnchor(on);
      const firstYoung = on.select({ id: min(auditLog.id) }).from(auditLog).where(gte(auditLog.at, before)).get()?.id ?? null;
      const lastOld = firstYoung === null ? (on.select({ id: max(auditLog.id) }).from(auditLog).get()?.id ?? 0) : firstYoung - 1;
      const cut = lastOld >= anchor.firstId ? on.select().from(auditLog).where(eq(auditLog.id, lastOld)).get() : undefined;
      return cut && { cut, removed: on.select({ n: count() }).from(auditLog).where(lte(auditLog.id, cut.id)).get()!.n };
    },
    async prune(tx, cut, prunedAt) {
      sqliteOf(tx).delete(auditLog).where(lte(auditLog.id, cut.id)).run();
      writeAnchor(tx, { firstId: cut.id + 1, prevHash: cut.hash, prunedAt });
    },
  };
}

/** The stored anchor, or row 1 with the genesis hash when the log was never pruned. */
function readAnchor(db: Db): ChainAnchor {
  const row = db.select().from(auditAnchor).where(eq(auditAnchor.id, 1)).get();
  return row ? { firstId: row.firstId, prevHash: row.prevHash, prunedAt: row.prunedAt } : { firstId: 1, prevHash: GENESIS_HASH, prunedAt: undefined };
}

function writeAnchor(tx: Tx, anchor: { firstId: number; prevHash: string; prunedAt: Date }): void {
  const values = { id: 1, ...anchor };
  sqliteOf(tx).insert(auditAnchor).values(values).onConflictDoUpdate({ target: auditAnchor.id, set: anchor }).run();
}

/** The WHERE clause of a filter; undefined when it selects every row. */
function filterCondition(f: AuditFilter): SQL | undefined {
  const parts: (SQL | undefined)[] = [
    f.from && gte(auditLog.at, f.from),
    f.to && lt(auditLog.at, f.to),
    f.subject !== undefined ? eq(auditLog.subject, f.subject) : undefined,
    f.client !== undefined ? eq(auditLog.clientId, f.client) : undefined,
    f.request_id !== undefined ? eq(auditLog.requestId, f.request_id) : undefined,
    f.jti !== undefined ? eq(auditLog.jti, f.jti) : undefined,
    f.outcome !== undefined ? eq(auditLog.outcome, f.outcome) : undefined,
    // `data` is JSON written by the service (valid by construction); the survey is its `survey` member.
    f.survey !== undefined ? sql`json_extract(${auditLog.data}, '$.survey') = ${f.survey}` : undefined,
    // Audiences are stored space-joined; match a whole one (instr, not LIKE: URLs may hold % and _).
    f.audience !== undefined ? sql`instr(' ' || ${auditLog.audience} || ' ', ${` ${f.audience} `}) > 0` : undefined,
    f.event?.length ? eventCondition(f.event) : undefined,
  ];
  const present = parts.filter((p): p is SQL => p !== undefined);
  return present.length ? and(...present) : undefined;
}

function eventCondition(events: string[]): SQL | undefined {
  const exact = events.filter((e) => !e.endsWith('.*'));
  // A family `upstream.*` is a prefix match; substr instead of LIKE, whose `_` would be a wildcard.
  const families = events.filter((e) => e.endsWith('.*')).map((e) => e.slice(0, -1));
  return or(
    ...(exact.length ? [inArray(auditLog.event, exact)] : []),
    ...families.map((prefix) => sql`substr(${auditLog.event}, 1, ${prefix.length}) = ${prefix}`),
  );
}
