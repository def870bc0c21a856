import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditAnchor } from '../db/schema/audit-anchor.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import { GENESIS_HASH } from './chain.js';

/** Where the kept chain starts: row `firstId` must carry `prevHash`. */
export interface ChainAnchor {
  firstId: number;
  prevHash: string;
  /** When the rows before `firstId` were pruned; undefined for a log that was never pruned. */
  prunedAt: Date | undefined;
}

/** The stored anchor, or row 1 with the genesis hash when the log was never pruned. */
export function readAnchor(db: Db): ChainAnchor {
  const row = db.select().from(auditAnchor).where(eq(auditAnchor.id, 1)).get();
  return row ? { firstId: row.firstId, prevHash: row.prevHash, prunedAt: row.prunedAt } : { firstId: 1, prevHash: GENESIS_HASH, prunedAt: undefined };
}

export function writeAnchor(tx: Tx, anchor: { firstId: number; prevHash: string; prunedAt: Date }): void {
  const values = { id: 1, ...anchor };
  sqliteOf(tx).insert(auditAnchor).values(values).onConflictDoUpdate({ target: auditAnchor.id, set: anchor }).run();
}
