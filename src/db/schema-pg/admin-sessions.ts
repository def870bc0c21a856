import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/admin-sessions.ts` (kept identical by schema-parity.test.ts). */
export const adminSessions = pgTable(
  'admin_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    subject: text('subject').notNull(),
    role: text('role', { enum: ['auditor', 'admin'] }).notNull(),
    idpId: text('idp_id').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: instant('created_at').notNull(),
    lastSeenAt: instant('last_seen_at').notNull(),
    idleExpiresAt: instant('idle_expires_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [index('admin_sessions_expires').on(t.expiresAt)],
);
