import { asc, desc, gt } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db, Tx } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema/audit-log.js';
import { GENESIS_HASH, hashRow, verifyChain, type ChainVerdict } from './chain.js';
import { auditEventSchema, type AuditEvent } from './events.js';

export interface AuditLog {
  /**
   * Appends one row. Must run inside the caller's write transaction (the change it records); it fails closed:
   * an invalid event or a failed insert throws and rolls the whole transaction back.
   */
  append(tx: Tx, event: AuditEvent, at?: Date): AuditRow;
  /** Checks the whole chain, reading in pages so memory stays flat. */
  verify(): ChainVerdict;
}

const PAGE = 1000;

export function createAuditLog(db: Db, clock: Clock): AuditLog {
  const head = db
    .select({ id: auditLog.id, hash: auditLog.hash })
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(1)
    .prepare();

  return {
    append(tx, event, at = clock.now()) {
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
      return full;
    },
    verify() {
      return verifyChain(pages(db));
    },
  };
}

function* pages(db: Db): Generator<AuditRow> {
  let after = 0;
  for (;;) {
    const rows = db.select().from(auditLog).where(gt(auditLog.id, after)).orderBy(asc(auditLog.id)).limit(PAGE).all();
    yield* rows;
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    after = last.id;
  }
}
