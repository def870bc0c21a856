import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Revoked token ids (RFC 7009). Kept until the token would have expired anyway (`expires_at`), after which
 * the row is useless and may be pruned: an expired token is refused for being expired.
 */
export const revokedTokens = sqliteTable('revoked_tokens', {
  jti: text('jti').primaryKey(),
  clientId: text('client_id').notNull(),
  revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
