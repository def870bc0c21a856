import type { Clock } from '../core/clock.js';
import type { AuditLog } from './audit-log.js';
import { verifyChainPages } from './chain.js';
import type { AuditReader } from './reader.js';
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
export function pruneAuditLog(deps: { reader: AuditReader; audit: AuditLog; clock: Clock }, req: PruneRequest): Promise<PruneResult> {
  return deps.audit.commit(async (tx) => {
    const anchor = await deps.reader.anchor(tx);
    const found = await deps.reader.pruneCut(tx, req.before);
    if (found) {
      // Pruning a tampered range would launder it (the anchor is taken from stored hashes): verify it first.
      const verdict = await verifyChainPages(deps.reader.pages({ after: anchor.firstId - 1, through: found.cut.id }, tx), anchor.prevHash, anchor.firstId);
      if (!verdict.ok) throw new ChainBroken(`refusing to prune: the rows to remove do not verify (row ${verdict.badRowId}: ${verdict.problem})`);
    }
    const result: PruneResult = found
      ? { removed: found.removed, firstKeptId: found.cut.id + 1, anchorHash: found.cut.hash }
      : { removed: 0, firstKeptId: anchor.firstId, anchorHash: anchor.prevHash };
    if (req.dryRun) return result;
    await deps.audit.append(tx, {
      event: 'audit.prune',
      outcome: 'success',
      ...(req.subject ? { subject: req.subject } : {}),
      ...(req.requestId ? { requestId: req.requestId } : {}),
      data: { actor: req.actor, before: req.before.toISOString(), removed: result.removed, first_kept_id: result.firstKeptId, anchor_hash: result.anchorHash },
    });
    if (found) await deps.reader.prune(tx, found.cut, deps.clock.now());
    return result;
  });
}
