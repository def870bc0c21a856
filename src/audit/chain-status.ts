import type { Clock } from '../core/clock.js';
import { verifyChainPages } from './chain.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';
import type { CheckpointKeys } from './checkpoints.js';
import type { AuditReader } from './reader.js';
import { verifyAuditLog } from './verify-log.js';

/** What the review page shows: "verified up to row N (written T)" or "broken at row N". */
export type ChainStatus =
  | { state: 'verified'; lastId: number | null; lastAt: Date | undefined; rows: number; checkedAt: Date; full: boolean; checkpointsChecked: number }
  | { state: 'broken'; badRowId: number | null; problem: string; checkedAt: Date; full: boolean };

/**
 * Keeps the chain status cheap enough for every page view: after one full verification (chain, anchor,
 * checkpoints) later views only verify the rows appended since, continuing from the last verified hash.
 * Edits to already-verified rows are found by the next full run (`refresh`, the CLI's `audit verify`, and
 * before every checkpoint is signed, which re-walks the rows since the previous checkpoint).
 */
export function createChainMonitor(deps: { reader: AuditReader; checkpoints: AuditCheckpointStore; clock: Clock; keys: CheckpointKeys; issuer: string }) {
  let last: { status: ChainStatus; lastId: number | null; headHash: string } | undefined;

  async function refresh(): Promise<ChainStatus> {
    const v = await verifyAuditLog(deps, deps.keys, { issuer: deps.issuer });
    const checkedAt = deps.clock.now();
    const status: ChainStatus = v.ok
      ? { state: 'verified', lastId: v.chain.ok ? v.chain.lastId : null, lastAt: v.lastAt, rows: v.chain.rows, checkedAt, full: true, checkpointsChecked: v.checkpoints.checked }
      : { state: 'broken', badRowId: v.chain.ok ? null : v.chain.badRowId, problem: v.problems[0]!, checkedAt, full: true };
    last = v.ok && v.chain.ok ? { status, lastId: v.chain.lastId, headHash: v.chain.headHash } : { status, lastId: null, headHash: '' };
    return status;
  }

  return {
    refresh,
    /** The status now: a full run the first time (or while broken), else only the new rows. */
    async current(): Promise<ChainStatus> {
      if (!last || last.status.state === 'broken' || last.lastId === null) return refresh();
      const anchor = await deps.reader.anchor();
      // A prune since the last run moved the start past our resume point: start over.
      if (last.lastId < anchor.firstId - 1) return refresh();
      let lastAt: Date | undefined;
      const pages = (async function* (src) {
        for await (const page of src) {
          lastAt = page.at(-1)!.at;
          yield page;
        }
      })(deps.reader.pages({ after: last.lastId }));
      const verdict = await verifyChainPages(pages, last.headHash, last.lastId + 1);
      const checkedAt = deps.clock.now();
      if (!verdict.ok) {
        const status: ChainStatus = { state: 'broken', badRowId: verdict.badRowId, problem: verdict.problem, checkedAt, full: false };
        last = { status, lastId: null, headHash: '' };
        return status;
      }
      if (verdict.lastId !== null) {
        const prev = last.status.state === 'verified' ? last.status : undefined;
        const status: ChainStatus = {
          state: 'verified',
          lastId: verdict.lastId,
          lastAt,
          rows: verdict.lastId - anchor.firstId + 1,
          checkedAt,
          full: false,
          checkpointsChecked: prev?.checkpointsChecked ?? 0,
        };
        last = { status, lastId: verdict.lastId, headHash: verdict.headHash };
      }
      return last.status;
    },
  };
}

export type ChainMonitor = ReturnType<typeof createChainMonitor>;
