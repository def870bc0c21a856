import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/revoked-tokens.ts`. */
export const revokedTokens = pgTable('revoked_tokens', {
  jti: text('jti').primaryKey(),
  clientId: text('client_id').notNull(),
  revokedAt: instant('revoked_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
