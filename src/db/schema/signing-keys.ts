import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { SIGNING_ALGORITHMS } from '../../core/constants.js';

/**
 * Our JWT signing keys. One row is `active` (signs new tokens); `retired` rows stay published in the JWKS
 * until `publish_until` (retirement + the longest token lifetime), so every token they signed still verifies.
 * Private keys are sealed with the master key (AES-256-GCM, key id inside the sealed value, AAD = kid).
 * `kid` is the RFC 7638 thumbprint of the public key.
 */
export const signingKeys = sqliteTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg', { enum: SIGNING_ALGORITHMS }).notNull(),
    publicJwk: text('public_jwk').notNull(),
    privateJwkSealed: text('private_jwk_sealed').notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    retiredAt: integer('retired_at', { mode: 'timestamp_ms' }),
    publishUntil: integer('publish_until', { mode: 'timestamp_ms' }),
  },
  (t) => [index('signing_keys_status').on(t.status)],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
