import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Authorization requests an admin started to connect an upstream account (RFC 6749 §4.1 with PKCE, RFC 7636).
 * Keyed by sha256 of `state`; `binding_hash` is sha256 of a random value held in the admin's browser cookie, so
 * the callback is accepted only in the browser that started it (RFC 6749 §10.12, RFC 9700 §4.7). The PKCE
 * verifier is sealed with the master key (AAD = `upstream_auth_states:{state_hash}`). Consumed with one
 * DELETE … RETURNING, so a state works once; rows past `expires_at` (10 min) are dead.
 */
export const upstreamAuthStates = sqliteTable(
  'upstream_auth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    upstreamId: text('upstream_id').notNull(),
    bindingHash: text('binding_hash').notNull(),
    keyId: text('key_id').notNull(),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    /** Who started it (the admin seam's actor), for the audit row of the callback. */
    actor: text('actor').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('upstream_auth_states_expires').on(t.expiresAt)],
);

export type UpstreamAuthStateRow = typeof upstreamAuthStates.$inferSelect;
