import { and, asc, desc, gt, lte, sql } from 'drizzle-orm';
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
const COLUMNS = ['id', 'at', 'event', 'outcome', 'requestId', 'clientId', 'subject', 'audience', 'scope', 'jti', 'reason', 'data', 'prevHash', 'hash'] as const;

export function createAuditLog(db: Db, clock: Clock, observer?: AuditObserver): AuditLog {
  const head = db
    .select({ id: auditLog.id, hash: auditLog.hash })
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(1)
    .prepare();
  // Prepared once: building the INSERT per row costs ~10x the write itself. better-sqlite3 has one connection,
  // so this statement runs inside whatever transaction is open on it (the caller's `tx`).
  const placeholders = Object.fromEntries(COLUMNS.map((k) => [k, sql.placeholder(k)])) as Record<(typeof COLUMNS)[number], ReturnType<typeof sql.placeholder>>;
  const insert = db.insert(auditLog).values(placeholders).prepare();

  return {
    append(_tx, event, at = clock.now()) {
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
      insert.run(full);
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

/**
 * Every row after `after` (and up to `through`, when given), in id order, one page at a time: memory stays flat
 * for any size of log. Works on the database or inside a transaction.
 */
export function* pages(db: Db | Tx, after = 0, through?: number, pageSize = PAGE): Generator<AuditRow> {
  for (;;) {
    const range = through === undefined ? gt(auditLog.id, after) : and(gt(auditLog.id, after), lte(auditLog.id, through));
    const rows = db.select().from(auditLog).where(range).orderBy(asc(auditLog.id)).limit(pageSize).all();
    yield* rows;
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = last.id;
  }
}
