import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Long-lived secrets the service generates for itself (e.g. the pairwise-subject key), sealed with the master
 * key (AAD = name). They must outlive master-key rotations: a pairwise `sub` has to stay stable for years.
 */
export const serviceSecrets = sqliteTable('service_secrets', {
  name: text('name').primaryKey(),
  sealed: text('sealed').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});
