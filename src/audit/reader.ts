import type { AuditRow } from '../db/schema/audit-log.js';
import type { Tx } from '../db/tx.js';
import { activityOf, planActivity, type Activity, type ActivityCount, type ActivitySpan, type ActivityWindow } from './activity.js';
import type { ChainAnchor } from './anchor.js';
import { verifyChainPages, type ChainVerdict } from './chain.js';
import type { AuditFilter, AuditPage, PageRequest } from './query.js';

/** Rows `after` < id ≤ `through` (to the head when absent) that match `filter` (every row when absent). */
export interface RowRange {
  after: number;
  through?: number | undefined;
  filter?: AuditFilter | undefined;
}

/** What a prune would cut: the last row to remove (its hash becomes the anchor) and how many rows go. */
export interface PruneCut {
  cut: AuditRow;
  removed: number;
}

/**
 * The audit log's read side (and the prune, its one delete), as every engine implements it (contract:
 * reader.contract.ts). Reads without a `tx` see committed rows; with one, what that transaction sees.
 */
export interface AuditReader {
  /** One page of rows matching `filter`, by keyset cursor (newest or oldest first). */
  page(filter: AuditFilter, page: PageRequest): Promise<AuditPage>;
  row(id: number): Promise<AuditRow | undefined>;
  /** The newest row. */
  head(): Promise<AuditRow | undefined>;
  /**
   * Rows written in any of these requests or belonging to a sign-in one of them started (`data.start_request`),
   * or about any of these tokens; oldest first, at most `limit`.
   */
  linked(requestIds: readonly string[], jtis: readonly string[], limit: number): Promise<AuditRow[]>;
  /** When the first and the last row matching `filter` were written; undefined when none does. */
  activitySpan(filter: AuditFilter): Promise<ActivitySpan | undefined>;
  /** The rows matching `filter` in `window`, counted per bucket, event family and outcome in one GROUP BY query. */
  activity(filter: AuditFilter, window: ActivityWindow): Promise<ActivityCount[]>;
  /** The rows of `range` in id order, a page at a time: memory stays flat for any size of log. */
  pages(range: RowRange, tx?: Tx): AsyncIterable<AuditRow[]>;
  /** Where the kept chain starts (row 1 with the genesis hash for a log never pruned). */
  anchor(tx?: Tx): Promise<ChainAnchor>;
  /**
   * The longest prefix (by id, from the anchor) of rows written before `before`; undefined when there is none.
   * A row at or after `before` stops the prefix, so a prune never leaves a hole.
   */
  pruneCut(tx: Tx, before: Date): Promise<PruneCut | undefined>;
  /** Deletes every row up to `cut` and stores its hash as the new anchor, in `tx` (with its `audit.prune` row). */
  prune(tx: Tx, cut: Pick<AuditRow, 'id' | 'hash'>, prunedAt: Date): Promise<void>;
}

/** Every row of `pages`, one at a time (for the chain walkers). */
export async function* eachRow(pages: AsyncIterable<AuditRow[]>): AsyncGenerator<AuditRow> {
  for await (const page of pages) yield* page;
}

/** Checks the whole stored chain from its anchor (genesis, or the anchor a prune stored), a page at a time. */
export async function verifyStoredChain(reader: AuditReader): Promise<ChainVerdict> {
  const anchor = await reader.anchor();
  // Read from row 0 even after a prune: a row slipped in before the anchor must be reported, not skipped.
  return verifyChainPages(reader.pages({ after: 0 }), anchor.prevHash, anchor.firstId);
}

/** The review page's activity chart for `filter`: at most two queries (the span only when from/to is missing). */
export async function readActivity(reader: AuditReader, filter: AuditFilter): Promise<Activity | undefined> {
  const span = filter.from && filter.to ? undefined : await reader.activitySpan(filter);
  const window = planActivity(filter, span);
  return window && activityOf(filter, window, await reader.activity(filter, window));
}
