import { asc, desc, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditCheckpoints, type AuditCheckpointRow } from '../db/schema/audit-checkpoints.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** Signed checkpoints of the audit chain, as stored. Contract: checkpoint-store.contract.ts. */
export interface AuditCheckpointStore {
  /** Records a checkpoint (in the transaction of its `audit.checkpoint` row); resolves to it with its id. */
  add(tx: Tx, checkpoint: Omit<AuditCheckpointRow, 'id'>): Promise<AuditCheckpointRow>;
  /** The newest checkpoint: as `tx` sees it when given (a periodic run deciding under the write lock), else as committed. */
  latest(tx?: Tx): Promise<AuditCheckpointRow | undefined>;
  /** The newest `limit` checkpoints, newest first. */
  list(limit: number): Promise<AuditCheckpointRow[]>;
  /** Every checkpoint, oldest first (verification and exports check each; one per interval, so few). */
  all(): Promise<AuditCheckpointRow[]>;
}

export function createAuditCheckpointStore(db: Db): AuditCheckpointStore {
  const newest = db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(sql.placeholder('limit')).prepare();
  return {
    add: async (tx, checkpoint) => sqliteOf(tx).insert(auditCheckpoints).values(checkpoint).returning().get(),
    // One connection: the statement runs inside `tx` when one is open (sqliteOf checks it is).
    latest: async (tx) => (tx && sqliteOf(tx), newest.get({ limit: 1 })),
    list: async (limit) => newest.all({ limit }),
    all: async () => db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.id)).all(),
  };
}
