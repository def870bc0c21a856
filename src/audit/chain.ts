import { hash } from 'node:crypto';

/** The `prev_hash` of the first row of a chain that has never been pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns a row's hash covers: everything but the hash itself. */
export interface ChainedRow {
  id: number;
  at: Date;
  event: string;
  outcome: string;
  requestId: string | null;
  clientId: string | null;
  subject: string | null;
  audience: string | null;
  scope: string | null;
  jti: string | null;
  reason: string | null;
  data: string | null;
  prevHash: string;
}

/** sha256(prev_hash + "\n" + canonical JSON of the row's columns in a fixed order). Pure. */
export function hashRow(row: ChainedRow): string {
  const canonical = JSON.stringify([
    row.id,
    row.at.getTime(),
    row.event,
    row.outcome,
    row.requestId,
    row.clientId,
    row.subject,
    row.audience,
    row.scope,
    row.jti,
    row.reason,
    row.data,
  ]);
  // One-shot `hash`: no Hash object per row (every audited request hashes one).
  return hash('sha256', `${row.prevHash}\n${canonical}`, 'hex');
}

export type ChainVerdict =
  | { ok: true; rows: number; lastId: number | null; headHash: string }
  | { ok: false; rows: number; badRowId: number; problem: string };

/**
 * Walks rows in id order and names the first row that breaks the chain: an edited row (its hash no longer
 * matches its content), a deleted row (the next row's prev_hash or id does not follow), or reordered rows.
 * `anchor` is the prev_hash the first row must carry and `firstId` (when known) its id: the genesis hash and
 * row 1 for a log that was never pruned, the stored anchor after a prune.
 */
export function verifyChain(rows: Iterable<ChainedRow & { hash: string }>, anchor = GENESIS_HASH, firstId?: number): ChainVerdict {
  const walker = createChainWalker(anchor, firstId);
  for (const row of rows) {
    const broken = walker.push(row);
    if (broken) return broken;
  }
  return walker.result();
}

/** `verifyChain` over pages of rows read asynchronously (an AuditReader's `pages`). */
export async function verifyChainPages(pages: AsyncIterable<(ChainedRow & { hash: string })[]>, anchor = GENESIS_HASH, firstId?: number): Promise<ChainVerdict> {
  const walker = createChainWalker(anchor, firstId);
  for await (const page of pages) {
    for (const row of page) {
      const broken = walker.push(row);
      if (broken) return broken;
    }
  }
  return walker.result();
}

/** `verifyChain` one row at a time, for rows that arrive asynchronously (an export file being read). */
export interface ChainWalker {
  /** Checks the next row; returns the failure verdict when this row breaks the chain. */
  push(row: ChainedRow & { hash: string }): Extract<ChainVerdict, { ok: false }> | undefined;
  result(): ChainVerdict;
}

export function createChainWalker(anchor = GENESIS_HASH, firstId?: number): ChainWalker {
  let expectedPrev = anchor;
  let lastId: number | null = null;
  let count = 0;
  return {
    push(row) {
      // After a prune (or when resuming an earlier verification) the chain must start exactly at the anchor's row.
      if (lastId === null && firstId !== undefined && row.id !== firstId) {
        return row.id > firstId
          ? { ok: false, rows: 0, badRowId: row.id, problem: `the chain starts at row ${firstId} but the first row is ${row.id}: rows ${firstId}..${row.id - 1} are missing` }
          : { ok: false, rows: 0, badRowId: row.id, problem: `row ${row.id} lies before the start of the chain (row ${firstId})` };
      }
      if (lastId !== null && row.id !== lastId + 1) {
        return { ok: false, rows: count, badRowId: row.id, problem: `row ${row.id} follows row ${lastId}: rows ${lastId + 1}..${row.id - 1} are missing` };
      }
      if (row.prevHash !== expectedPrev) {
        return { ok: false, rows: count, badRowId: row.id, problem: `row ${row.id} does not link to the row before it (deleted, inserted or reordered rows)` };
      }
      if (hashRow(row) !== row.hash) {
        return { ok: false, rows: count, badRowId: row.id, problem: `row ${row.id} was edited: its content does not match its hash` };
      }
      expectedPrev = row.hash;
      lastId = row.id;
      count += 1;
      return undefined;
    },
    result: () => ({ ok: true, rows: count, lastId, headHash: expectedPrev }),
  };
}
