import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text, type PgColumn } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** `schema/audit-log.ts`'s `startRequestOf`, in PostgreSQL's spelling (the text column read as JSON). */
export const startRequestOf = (data: PgColumn) => sql`((${data})::json ->> 'start_request')`;

/** PostgreSQL twin of `schema/audit-log.ts`: ids are given by the writer (head + 1, under the write lock). */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    at: instant('at').notNull(),
    event: text('event').notNull(),
    outcome: text('outcome', { enum: ['success', 'refused', 'error'] }).notNull(),
    requestId: text('request_id'),
    clientId: text('client_id'),
    subject: text('subject'),
    audience: text('audience'),
    scope: text('scope'),
    jti: text('jti'),
    reason: text('reason'),
    data: text('data'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_log_at').on(t.at),
    index('audit_log_subject').on(t.subject),
    index('audit_log_client').on(t.clientId),
    index('audit_log_event').on(t.event),
    index('audit_log_jti').on(t.jti),
    index('audit_log_request').on(t.requestId),
    index('audit_log_start_request').on(startRequestOf(t.data)).where(sql`${startRequestOf(t.data)} IS NOT NULL`),
  ],
);
