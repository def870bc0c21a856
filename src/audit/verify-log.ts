import type { AuditRow } from '../db/schema/audit-log.js';
import type { ChainAnchor } from './anchor.js';
import { createChainWalker, type ChainVerdict } from './chain.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';
import { verifyCheckpoint, type CheckpointKeys } from './checkpoints.js';
import { eachRow, type AuditReader } from './reader.js';

/** What a checkpoint vouches for: row `lastId` has `headHash`. */
export interface CheckpointClaim {
  /** Where it came from, for messages: "checkpoint 12" or "checkpoint file x.jws". */
  label: string;
  lastId: number;
  headHash: string;
}

export interface LogVerification {
  ok: boolean;
  chain: ChainVerdict;
  anchor: ChainAnchor;
  /** Time of the newest verified row. */
  lastAt: Date | undefined;
  checkpoints: { checked: number; skipped: number; latest: { lastId: number; at: Date } | undefined };
  /** Every problem found, the chain's first; empty when ok. */
  problems: string[];
}

/**
 * The full check `audit verify` and the review page run: the hash chain from its anchor, the anchor against the
 * `audit.prune` row that set it, and every signed checkpoint (signature, and the rows it vouches for are still
 * there with that hash: this is what catches a truncated tail).
 */
export async function verifyAuditLog(
  stores: { reader: AuditReader; checkpoints: AuditCheckpointStore },
  keys: CheckpointKeys,
  opts: { issuer?: string; external?: string[] } = {},
): Promise<LogVerification> {
  const anchor = await stores.reader.anchor();
  const problems: string[] = [];
  const claims: CheckpointClaim[] = [];
  let latest: LogVerification['checkpoints']['latest'];
  for (const cp of await stores.checkpoints.all()) {
    const label = `checkpoint ${cp.id} (row ${cp.lastId})`;
    try {
      const signed = await verifyCheckpoint(cp.jws, keys, opts.issuer);
      if (signed.last_id !== cp.lastId || signed.head_hash !== cp.headHash) problems.push(`${label}: its table row does not match what was signed`);
      claims.push({ label, lastId: signed.last_id, headHash: signed.head_hash });
      if (!latest || signed.last_id > latest.lastId) latest = { lastId: signed.last_id, at: cp.at };
    } catch (err) {
      problems.push(`${label}: signature does not verify (${(err as Error).message})`);
    }
  }
  for (const [i, jws] of (opts.external ?? []).entries()) {
    try {
      const signed = await verifyCheckpoint(jws, keys, opts.issuer);
      claims.push({ label: `given checkpoint ${i + 1} (row ${signed.last_id})`, lastId: signed.last_id, headHash: signed.head_hash });
    } catch (err) {
      problems.push(`given checkpoint ${i + 1}: signature does not verify (${(err as Error).message})`);
    }
  }

  // Read from row 0 even after a prune: a row slipped in before the anchor must be reported, not skipped.
  const audit = createChainAudit({ ...anchor, stored: anchor.prunedAt !== undefined }, claims);
  for await (const row of eachRow(stores.reader.pages({ after: 0 }))) if (!audit.push(row)) break;
  const walk = audit.finish();
  const chainProblems = walk.chain.ok ? [] : [`audit chain broken at row ${walk.chain.badRowId}: ${walk.chain.problem}`];
  return {
    ok: chainProblems.length + walk.problems.length + problems.length === 0,
    chain: walk.chain,
    anchor,
    lastAt: walk.lastAt,
    checkpoints: { checked: walk.checked, skipped: walk.skipped, latest },
    problems: [...chainProblems, ...walk.problems, ...problems],
  };
}

/**
 * One pass over the rows: the chain, the newest prune row (it must match the anchor), and the checkpoint
 * hashes. Shared by the database check and the export-file check.
 */
export function walkChain(rows: Iterable<AuditRow>, anchor: ChainStart, claims: CheckpointClaim[]): ChainWalkResult {
  const walk = createChainAudit(anchor, claims);
  for (const row of rows) if (!walk.push(row)) break;
  return walk.finish();
}

export type ChainStart = Pick<ChainAnchor, 'firstId' | 'prevHash'> & { stored?: boolean };

export interface ChainWalkResult {
  chain: ChainVerdict;
  lastAt: Date | undefined;
  checked: number;
  skipped: number;
  problems: string[];
}

/** `walkChain` one row at a time (rows read asynchronously from a file); `push` returns false once broken. */
export function createChainAudit(anchor: ChainStart, claims: CheckpointClaim[]) {
  const walker = createChainWalker(anchor.prevHash, anchor.firstId);
  const byRow = new Map<number, CheckpointClaim[]>();
  for (const c of claims) byRow.set(c.lastId, [...(byRow.get(c.lastId) ?? []), c]);
  const problems: string[] = [];
  let broken: ChainVerdict | undefined;
  let lastAt: Date | undefined;
  let lastPrune: { id: number; firstKept: number; anchorHash: string } | undefined;
  let checked = 0;
  return {
    push(row: AuditRow): boolean {
      if (broken) return false;
      broken = walker.push(row);
      if (broken) return false;
      lastAt = row.at;
      if (row.event === 'audit.prune' && row.data) {
        const d = JSON.parse(row.data) as { first_kept_id: number; anchor_hash: string };
        lastPrune = { id: row.id, firstKept: d.first_kept_id, anchorHash: d.anchor_hash };
      }
      for (const c of byRow.get(row.id) ?? []) {
        checked += 1;
        if (c.headHash !== row.hash) problems.push(`${c.label}: row ${row.id} no longer has the hash that was signed`);
      }
      return true;
    },
    finish(): ChainWalkResult {
      const chain = broken ?? walker.result();
      const lastId = chain.ok ? chain.lastId : null;
      let skipped = 0;
      for (const c of claims) {
        if (c.lastId === anchor.firstId - 1) {
          // The last pruned row: its hash is the anchor.
          checked += 1;
          if (c.headHash !== anchor.prevHash) problems.push(`${c.label}: the anchor does not match the pruned row it vouches for`);
        } else if (c.lastId < anchor.firstId) {
          skipped += 1;
        } else if (chain.ok && (lastId === null || c.lastId > lastId)) {
          problems.push(`${c.label}: the log ends at row ${lastId ?? 'none'}, so rows up to ${c.lastId} were removed (tail truncated)`);
        }
      }
      // The anchor is only trusted as far as the newest audit.prune row (inside the chain) says the same.
      if (chain.ok && lastPrune && (lastPrune.firstKept !== anchor.firstId || lastPrune.anchorHash !== anchor.prevHash)) {
        problems.push(`the anchor (row ${anchor.firstId}) differs from what the latest prune (row ${lastPrune.id}) recorded (row ${lastPrune.firstKept})`);
      } else if (chain.ok && !lastPrune && (anchor.firstId > 1 || anchor.stored === true)) {
        problems.push(`the chain starts at row ${anchor.firstId} but no audit.prune row records that prune`);
      }
      return { chain, lastAt, checked, skipped, problems };
    },
  };
}
