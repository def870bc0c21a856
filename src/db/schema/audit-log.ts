import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, type SQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * The request that started the sign-in a row belongs to (`data.start_request` of `saml.login` and `launch.issue`
 * rows): the correlation view finds a start's login by it. Spelled once, so the query matches its partial index.
 */
export const startRequestOf = (data: SQLiteColumn) => sql`json_extract(${data}, '$.start_request')`;

/**
 * Append-only, hash-chained record of every decision. `hash` = sha256(prev_hash + canonical row content);
 * `prev_hash` of the first row is the chain anchor. Rows are written in the transaction of the change they
 * record, and never updated or deleted by the service. No raw token, assertion or secret is ever stored:
 * ids, `jti` and hashes only. Read in `id` order (ids are assigned contiguously inside the write).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
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

export type AuditRow = typeof auditLog.$inferSelect;
