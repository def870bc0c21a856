import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/saml-assertions.ts`. */
export const samlAssertions = pgTable('saml_assertions', {
  key: text('key').primaryKey(),
  idpEntityId: text('idp_entity_id').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
