import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Where the kept audit chain starts after `audit prune`: the id of the oldest kept row and its `prev_hash`
 * (the hash of the last pruned row). At most one row (`id` = 1); absent until the first prune, when the chain
 * starts at row 1 with the genesis hash. The same values are written into the `audit.prune` row of the chain,
 * so moving the anchor to hide more deleted rows is detected by `verify`.
 */
export const auditAnchor = sqliteTable('audit_anchor', {
  id: integer('id').primaryKey(),
  firstId: integer('first_id').notNull(),
  prevHash: text('prev_hash').notNull(),
  prunedAt: integer('pruned_at', { mode: 'timestamp_ms' }).notNull(),
});

export type AuditAnchorRow = typeof auditAnchor.$inferSelect;
