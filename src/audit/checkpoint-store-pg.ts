import { asc, desc } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { auditCheckpoints } from '../db/schema-pg/audit-checkpoints.js';
import { pgOf } from '../db/tx.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';

/** AuditCheckpointStore on PostgreSQL (contract: checkpoint-store.contract.ts); ids come from the bigserial. */
export function createPgAuditCheckpointStore(db: PgDb): AuditCheckpointStore {
  const newest = (limit: number, on: PgDb = db) => on.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(limit);
  return {
    add: async (tx, checkpoint) => (await pgOf(tx).insert(auditCheckpoints).values(checkpoint).returning())[0]!,
    latest: async (tx) => (await newest(1, tx ? pgOf(tx) : db))[0],
    list: async (limit) => newest(limit),
    all: async () => db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.id)),
  };
}
