import { desc } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { GroupCommitter } from '../db/group-commit.js';
import { pgClientOf, type PgDb } from '../db/pg/client.js';
import { auditLog } from '../db/schema-pg/audit-log.js';
import { pgMemo, pgOf } from '../db/tx.js';
import type { AuditLog, AuditObserver } from './audit-log.js';
import { auditInsert, chainedRow } from './chained-row.js';
import { auditEventSchema } from './events.js';
import { createPgAuditReader } from './reader-pg.js';
import { verifyStoredChain } from './reader.js';

const HEAD = Symbol('audit chain head');
type Head = { id: number; hash: string };

/**
 * The hash-chained audit log on PostgreSQL (contract: audit-log.contract.ts). The head is read and extended in
 * the caller's transaction, which holds the cross-instance write lock from its start (the PG group committer's
 * `pg_advisory_xact_lock`): no other instance's transaction can read the same head before this one commits, so
 * every instance appends to one chain, each id the head's + 1.
 */
export function createPgAuditLog(db: PgDb, clock: Clock, opts: { committer: GroupCommitter; observer?: AuditObserver | undefined }): AuditLog {
  const { committer, observer } = opts;
  const reader = createPgAuditReader(db);
  const insert = auditInsert((values) => db.insert(auditLog).values(values).toSQL());
  return {
    commit: (change) => committer.commit(change),
    async append(tx, event, at = clock.now()) {
      const on = pgOf(tx);
      const started = performance.now();
      const e = auditEventSchema.parse(event);
      // The head is read once per transaction: after that, it is the row this transaction appended last.
      const memo = pgMemo(tx);
      const head = memo.has(HEAD)
        ? (memo.get(HEAD) as Head | undefined)
        : (await on.select({ id: auditLog.id, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1))[0];
      const row = chainedRow(e, at, head);
      await pgClientOf(on).query({ name: 'audit_append', text: insert.text, values: insert.values(row) });
      memo.set(HEAD, { id: row.id, hash: row.hash });
      observer?.appended(e, (performance.now() - started) / 1000);
      return row;
    },
    verify: () => verifyStoredChain(reader),
  };
}
