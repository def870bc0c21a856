import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/upstream-connections.ts`. */
export const upstreamConnections = pgTable('upstream_connections', {
  upstreamId: text('upstream_id').primaryKey(),
  status: text('status', { enum: ['connected', 'needs_reauth', 'disconnected'] }).notNull(),
  keyId: text('key_id').notNull(),
  accessTokenSealed: text('access_token_sealed'),
  refreshTokenSealed: text('refresh_token_sealed'),
  accessExpiresAt: instant('access_expires_at'),
  accessObtainedAt: instant('access_obtained_at'),
  scope: text('scope'),
  accessUrl: text('access_url'),
  seedHash: text('seed_hash'),
  version: integer('version').notNull(),
  leaseOwner: text('lease_owner'),
  leaseUntil: instant('lease_until'),
  lastError: text('last_error'),
  lastErrorAt: instant('last_error_at'),
  connectedAt: instant('connected_at'),
  updatedAt: instant('updated_at').notNull(),
});
