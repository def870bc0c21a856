import { count, eq, gte, lte, max, min } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema/audit-log.js';
import { sqliteOf } from '../db/tx.js';
import { readAnchor, writeAnchor } from './anchor.js';
import { pages, type AuditLog } from './audit-log.js';
import { verifyChain } from './chain.js';
import { ChainBroken } from './checkpoints.js';

export interface PruneRequest {
  /** Rows written before this time may go. */
  before: Date;
  actor: 'console' | 'cli';
  subject?: string;
  requestId?: string;
  /** Count what would go; change nothing and write no row. */
  dryRun?: boolean;
}

export interface PruneResult {
  removed: number;
  /** The chain's first row afterwards, and the prev_hash it must carry (the anchor). */
  firstKeptId: number;
  anchorHash: string;
}

/** The cut-off for a retention period: now minus `days`. Pure. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/**
 * Removes the oldest rows, written before `before`, and keeps the rest verifiable: the chain then starts at the
 * first kept row, whose prev_hash is stored as the anchor. Only a prefix by id is removed (rows written out of
 * time order by another instance stop the cut rather than leaving a hole). In one transaction, the
 * `audit.prune` row is appended first, so the head of the chain is never deleted, and it records the new
 * anchor inside the chain, where moving the anchor later cannot hide.
 */
export function pruneAuditLog(deps: { db: Db; audit: AuditLog; clock: Clock }, req: PruneRequest): Promise<PruneResult> {
  return deps.audit.commit(async (tx) => {
    const db = sqliteOf(tx);
    const anchor = readAnchor(db);
    const firstYoung = db.select({ id: min(auditLog.id) }).from(auditLog).where(gte(auditLog.at, req.before)).get()?.id ?? null;
    const lastOld = firstYoung === null ? (db.select({ id: max(auditLog.id) }).from(auditLog).get()?.id ?? 0) : firstYoung - 1;
    const cut = lastOld >= anchor.firstId ? db.select().from(auditLog).where(eq(auditLog.id, lastOld)).get() : undefined;
    const removed = cut ? db.select({ n: count() }).from(auditLog).where(lte(auditLog.id, cut.id)).get()!.n : 0;
    if (cut) {
      // Pruning a tampered range would launder it (the anchor is taken from stored hashes): verify it first.
      const verdict = verifyChain(pages(db, anchor.firstId - 1, cut.id), anchor.prevHash, anchor.firstId);
      if (!verdict.ok) throw new ChainBroken(`refusing to prune: the rows to remove do not verify (row ${verdict.badRowId}: ${verdict.problem})`);
    }
    const result: PruneResult = cut ? { removed, firstKeptId: cut.id + 1, anchorHash: cut.hash } : { removed: 0, firstKeptId: anchor.firstId, anchorHash: anchor.prevHash };
    if (req.dryRun) return result;
    await deps.audit.append(tx, {
      event: 'audit.prune',
      outcome: 'success',
      ...(req.subject ? { subject: req.subject } : {}),
      ...(req.requestId ? { requestId: req.requestId } : {}),
      data: { actor: req.actor, before: req.before.toISOString(), removed: result.removed, first_kept_id: result.firstKeptId, anchor_hash: result.anchorHash },
    });
    if (cut) {
      db.delete(auditLog).where(lte(auditLog.id, cut.id)).run();
      writeAnchor(tx, { firstId: result.firstKeptId, prevHash: result.anchorHash, prunedAt: deps.clock.now() });
    }
    return result;
  });
}
