import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Subject-wide revocation (`campus-sts revoke --subject`, the console): every token whose `sub` is `subject` and
 * whose `iat` lies before `cutoff` is revoked. One row per `sub` value (a person's pairwise subjects get rows of
 * their own); a later cutoff replaces an earlier one. Kept until `expires_at` (the cutoff plus the longest token
 * lifetime and the allowed skew), when no token issued before the cutoff can still be accepted.
 */
export const subjectCutoffs = sqliteTable('subject_cutoffs', {
  subject: text('subject').primaryKey(),
  cutoff: integer('cutoff', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
