import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The upstream token vault: one row per configured upstream (the connected account). Access and refresh tokens
 * are sealed with the master key (AES-256-GCM; AAD = `upstream_connections:{id}:{column}`, so a value copied to
 * another row or column does not open); `key_id` names the master key that sealed this row, so
 * `campus-sts keys rotate-master` finds what to re-seal.
 *
 * `version` goes up on every token change (compare-and-swap for refreshes). `lease_owner`/`lease_until` is the
 * refresh lease: one UPDATE … WHERE takes it, so across several instances only one refreshes at a time; a
 * crashed holder's lease simply runs out. Rows are never deleted by the service: disconnecting clears the tokens
 * and keeps the row (status `disconnected`), so `upstream status` can say when and why.
 */
export const upstreamConnections = sqliteTable('upstream_connections', {
  upstreamId: text('upstream_id').primaryKey(),
  status: text('status', { enum: ['connected', 'needs_reauth', 'disconnected'] }).notNull(),
  keyId: text('key_id').notNull(),
  accessTokenSealed: text('access_token_sealed'),
  refreshTokenSealed: text('refresh_token_sealed'),
  /** null: the provider gave no expiry (SurveyMonkey's long-lived tokens); refreshed only after a 401. */
  accessExpiresAt: integer('access_expires_at', { mode: 'timestamp_ms' }),
  /** When the current access token was obtained (the refresh-ahead margin is capped at half its lifetime). */
  accessObtainedAt: integer('access_obtained_at', { mode: 'timestamp_ms' }),
  scope: text('scope'),
  /** SurveyMonkey's regional API host for this account (token response `access_url`), checked against an allow-list. */
  accessUrl: text('access_url'),
  /** sha256 of the seeded secret last imported (refresh_token / static grants): a changed seed is re-imported. */
  seedHash: text('seed_hash'),
  version: integer('version').notNull(),
  leaseOwner: text('lease_owner'),
  leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at', { mode: 'timestamp_ms' }),
  connectedAt: integer('connected_at', { mode: 'timestamp_ms' }),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export type UpstreamConnectionRow = typeof upstreamConnections.$inferSelect;
