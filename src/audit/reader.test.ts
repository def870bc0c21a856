import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog as pgLog } from '../db/schema-pg/audit-log.js';
import { auditLog as sqliteLog } from '../db/schema/audit-log.js';
import { pgHarness } from '../db/pg/harness.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { createPgAuditLog } from './audit-log-pg.js';
import { createAuditLog } from './audit-log.js';
import { describeAuditReaderContract } from './reader.contract.js';
import { linkedCondition } from './reader-sql.js';
import { createPgAuditReader, pgAuditSql } from './reader-pg.js';
import { createSqliteAuditReader, sqliteAuditSql } from './reader-sqlite.js';

describeAuditReaderContract('SQLite', sqliteHarness((db, clock, committer) => ({ log: createAuditLog(db, clock, { committer }), reader: createSqliteAuditReader(db) })));
describeAuditReaderContract('PostgreSQL', pgHarness((db, clock, committer) => ({ log: createPgAuditLog(db, clock, { committer }), reader: createPgAuditReader(db) })));

// The sign-in lookup must use its partial index on both engines: the query spells `data.start_request` as the index.
describe('the lookup by sign-in start', () => {
  it('uses the audit_log_start_request index (SQLite)', async () => {
    const h = await sqliteHarness((db) => db)();
    try {
      const query = h.store.select().from(sqliteLog).where(linkedCondition(sqliteAuditSql, ['r1', 'r2'], []));
      const { sql: text, params } = query.toSQL();
      const plan = (h.store.$client.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      expect(plan.join('\n')).toContain('USING INDEX audit_log_start_request');
    } finally {
      await h.close();
    }
  });

  it('uses the audit_log_start_request index (PostgreSQL)', async () => {
    const h = await pgHarness((db) => db)();
    try {
      const plan = await h.store.transaction(async (tx) => {
        // An empty table is read sequentially at any cost: ask whether the index can serve the query at all.
        await tx.execute(sql`SET LOCAL enable_seqscan = off`);
        const query = tx.select().from(pgLog).where(linkedCondition(pgAuditSql, ['r1', 'r2'], []));
        return (await tx.execute<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${query}`)).rows.map((r) => r['QUERY PLAN']);
      });
      expect(plan.join('\n')).toContain('audit_log_start_request');
    } finally {
      await h.close();
    }
  });
});
