import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Signed-in admin console sessions (auditors and admins, after a SAML login). The browser holds a random session
 * id in an HttpOnly cookie; only its sha256 is stored, so a copy of the database does not hand out sessions.
 * A session ends at `idle_expires_at` (moved forward on use) or `expires_at` (absolute, never moved), whichever
 * comes first; expired rows are deleted when met and when the next session is created. `csrf_token` is the
 * synchronizer token every state-changing request must echo (useless without the cookie).
 */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    subject: text('subject').notNull(),
    role: text('role', { enum: ['auditor', 'admin'] }).notNull(),
    idpId: text('idp_id').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
    idleExpiresAt: integer('idle_expires_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('admin_sessions_expires').on(t.expiresAt)],
);

export type AdminSessionRow = typeof adminSessions.$inferSelect;
