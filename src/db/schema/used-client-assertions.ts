import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * `jti` values of private_key_jwt client assertions already used (RFC 7523 §3 item 7: the server may reject
 * a reused JWT). Keyed by sha256(client_id + jti); inserted with ON CONFLICT DO NOTHING so that the check and
 * the mark are one statement. Rows expire with the assertion.
 */
export const usedClientAssertions = sqliteTable('used_client_assertions', {
  key: text('key').primaryKey(),
  clientId: text('client_id').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
