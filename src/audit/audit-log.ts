import { asc, desc, gt } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db, Tx } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit-log.js';
import { readAnchor } from './anchor.js';
import { GENESIS_HASH, hashRow, verifyChain, type ChainVerdict } from './chain.js';
import { auditEventSchema, type AuditEvent } from './events.js';

export interface AuditLog {
  /**
   * Appends one row. Must run inside the caller's write transaction (the change it records); it fails closed:
   * an invalid event or a failed insert throws and rolls the whole transaction back.
   */
  append(tx: Tx, event: AuditEvent, at?: Date): AuditRow;
  /** Checks the whole chain from its anchor (genesis, or the stored anchor after a prune), reading in pages. */
  verify(): ChainVerdict;
}

/**
 * Told about every appended row (metrics). Called inside the transaction, so a row whose transaction later
 * rolls back has been counted: rare (the database failed), and the refusal that follows is counted too.
 */
export interface AuditObserver {
  appended(event: Readonly<{ event: string; outcome: string; reason?: string | undefined; data: unknown }>, seconds: number): void;
}

const PAGE = 1000;

export function createAuditLog(db: Db, clock: Clock, observer?: AuditObserver): AuditLog {
  const head = db
    .select({ id: auditLog.id, hash: auditLog.hash })
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(1)
    .prepare();

  return {
    append(tx, event, at = clock.now()) {
      const started = performance.now();
      const e = auditEventSchema.parse(event);
      const last = head.get();
      const row = {
        id: (last?.id ?? 0) + 1,
        at,
        event: e.event,
        outcome: e.outcome,
        requestId: e.requestId ?? null,
        clientId: e.clientId ?? null,
        subject: e.subject ?? null,
        audience: e.audience?.join(' ') ?? null,
        scope: e.scope?.join(' ') ?? null,
        jti: e.jti ?? null,
        reason: e.reason ?? null,
        data: JSON.stringify(e.data),
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const full = { ...row, hash: hashRow(row) };
      tx.insert(auditLog).values(full).run();
      observer?.appended(e, (performance.now() - started) / 1000);
      return full;
    },
    verify() {
      const anchor = readAnchor(db);
      // Read from row 0 even after a prune: a row slipped in before the anchor must be reported, not skipped.
      return verifyChain(pages(db), anchor.prevHash, anchor.firstId);
    },
  };
}

/** Every row after `after`, in id order, one page at a time (memory stays flat for any size of log). */
export function* pages(db: Db, after = 0, pageSize = PAGE): Generator<AuditRow> {
  for (;;) {
    const rows = db.select().from(auditLog).where(gt(auditLog.id, after)).orderBy(asc(auditLog.id)).limit(pageSize).all();
    yield* rows;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = last.id;
  }
}
