import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Assertion IDs already accepted (replay store, SAML Profiles §4.1.4.5). Keyed by sha256(IdP entityID + ID);
 * kept until the assertion's NotOnOrAfter plus clock skew, after which it would be refused as expired anyway.
 */
export const samlAssertions = sqliteTable('saml_assertions', {
  key: text('key').primaryKey(),
  idpEntityId: text('idp_entity_id').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
