import { bigint, bigserial, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/audit-checkpoints.ts`. */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: instant('at').notNull(),
    lastId: bigint('last_id', { mode: 'number' }).notNull(),
    headHash: text('head_hash').notNull(),
    rows: integer('rows').notNull(),
    kid: text('kid').notNull(),
    jws: text('jws').notNull(),
  },
  (t) => [index('audit_checkpoints_last_id').on(t.lastId)],
);
