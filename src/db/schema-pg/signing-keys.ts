import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { SIGNING_ALGORITHMS } from '../../core/constants.js';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/signing-keys.ts`. */
export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg', { enum: SIGNING_ALGORITHMS }).notNull(),
    publicJwk: text('public_jwk').notNull(),
    privateJwkSealed: text('private_jwk_sealed').notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull(),
    createdAt: instant('created_at').notNull(),
    retiredAt: instant('retired_at'),
    publishUntil: instant('publish_until'),
  },
  (t) => [index('signing_keys_status').on(t.status)],
);
