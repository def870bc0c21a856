import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Signed checkpoints of the audit chain: "row `last_id` had hash `head_hash`", signed with the service's JWT
 * signing key (`jws`, verifiable with the JWKS). A checkpoint makes truncating the tail of the log detectable:
 * the rows it covers must still be there with that hash. Kept when rows are pruned (a few hundred bytes each);
 * also recorded as `audit.checkpoint` rows of the chain itself, and published at GET /audit/checkpoints/latest.
 */
export const auditCheckpoints = sqliteTable(
  'audit_checkpoints',
  {
    id: integer('id').primaryKey(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    lastId: integer('last_id').notNull(),
    headHash: text('head_hash').notNull(),
    /** Rows in the chain from the anchor up to `last_id` when it was signed. */
    rows: integer('rows').notNull(),
    kid: text('kid').notNull(),
    jws: text('jws').notNull(),
  },
  (t) => [index('audit_checkpoints_last_id').on(t.lastId)],
);

export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;
