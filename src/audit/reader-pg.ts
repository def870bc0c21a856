import { asc, count, desc, eq, gte, lte, max, min, sql } from 'drizzle-orm';
import { auditAnchor } from '../db/schema-pg/audit-anchor.js';
import { auditLog, startRequestOf } from '../db/schema-pg/audit-log.js';
import type { PgDb } from '../db/pg/client.js';
import { pgOf } from '../db/tx.js';
import type { ChainAnchor } from './anchor.js';
import type { AuditReader } from './reader.js';
import { activityQuery, anchorOf, filterCondition, linkedCondition, pageOf, pageQuery, rangePages, spanOf, type AuditSqlDialect } from './reader-sql.js';

/** How PostgreSQL spells the audit reads (exported for the index-use test). */
export const pgAuditSql: AuditSqlDialect = {
  table: auditLog,
  dataMember: (key) => sql`(${auditLog.data}::json ->> ${key})`,
  startRequest: startRequestOf(auditLog.data),
  contains: (text, part) => sql`strpos(${text}, ${part}) > 0`,
  eventStartsWith: (prefix) => sql`starts_with(${auditLog.event}, ${prefix})`,
  eventFamily: () => sql`split_part(${auditLog.event}, '.', 1)`,
  bucketIndex: (startMs, unitMs) => sql`floor((extract(epoch from ${auditLog.at}) * 1000 - ${startMs}) / ${unitMs})::integer`,
};

/** The PostgreSQL audit reader (contract: reader.contract.ts): the SQLite reader's queries, in PostgreSQL's spelling. */
export function createPgAuditReader(db: PgDb): AuditReader {
  return {
    async page(filter, page) {
      const q = pageQuery(pgAuditSql, filter, page);
      return pageOf(await db.select().from(auditLog).where(q.where).orderBy(q.order).limit(q.limit), page);
    },
    row: async (id) => (await db.select().from(auditLog).where(eq(auditLog.id, id)))[0],
    head: async () => (await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1))[0],
    async linked(requestIds, jtis, limit) {
      const where = linkedCondition(pgAuditSql, requestIds, jtis);
      return where ? db.select().from(auditLog).where(where).orderBy(asc(auditLog.id)).limit(limit) : [];
    },
    async activitySpan(filter) {
      const [span] = await db.select({ first: min(auditLog.at), last: max(auditLog.at) }).from(auditLog).where(filterCondition(pgAuditSql, filter));
      return spanOf(span);
    },
    async activity(filter, window) {
      const q = activityQuery(pgAuditSql, filter, window);
      return db.select({ bucket: q.bucket, family: q.family, outcome: auditLog.outcome, count: count() }).from(auditLog).where(q.where).groupBy(sql`1, 2, 3`);
    },
    pages(range, tx) {
      return rangePages(pgAuditSql, range, (where, limit) => (tx ? pgOf(tx) : db).select().from(auditLog).where(where).orderBy(asc(auditLog.id)).limit(limit));
    },
    anchor: async (tx) => readAnchor(tx ? pgOf(tx) : db),
    async pruneCut(tx, before) {
      const on = pgOf(tx);
      const anchor = await readAnchor(on);
      const [young] = await on.select({ id: min(auditLog.id) }).from(auditLog).where(gte(auditLog.at, before));
      const firstYoung = young?.id ?? null;
      const lastOld = firstYoung === null ? ((await on.select({ id: max(auditLog.id) }).from(auditLog))[0]?.id ?? 0) : firstYoung - 1;
      if (lastOld < anchor.firstId) return undefined;
      const [cut] = await on.select().from(auditLog).where(eq(auditLog.id, lastOld));
      return cut && { cut, removed: (await on.select({ n: count() }).from(auditLog).where(lte(auditLog.id, cut.id)))[0]!.n };
    },
    async prune(tx, cut, prunedAt) {
      const on = pgOf(tx);
      await on.delete(auditLog).where(lte(auditLog.id, cut.id));
      const anchor = { firstId: cut.id + 1, prevHash: cut.hash, prunedAt };
      await on.insert(auditAnchor).values({ id: 1, ...anchor }).onConflictDoUpdate({ target: auditAnchor.id, set: anchor });
    },
  };
}

async function readAnchor(db: PgDb): Promise<ChainAnchor> {
  return anchorOf((await db.select().from(auditAnchor).where(eq(auditAnchor.id, 1)))[0]);
}
