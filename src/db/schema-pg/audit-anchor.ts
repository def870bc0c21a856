import { bigint, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/audit-anchor.ts`. */
export const auditAnchor = pgTable('audit_anchor', {
  id: integer('id').primaryKey(),
  firstId: bigint('first_id', { mode: 'number' }).notNull(),
  prevHash: text('prev_hash').notNull(),
  prunedAt: instant('pruned_at').notNull(),
});
