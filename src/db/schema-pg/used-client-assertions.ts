import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/used-client-assertions.ts`. */
export const usedClientAssertions = pgTable('used_client_assertions', {
  key: text('key').primaryKey(),
  clientId: text('client_id').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
