import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * SAML AuthnRequests we sent and have not seen answered. `binding_hash` is sha256 of a random value held in
 * the browser's login cookie, so a response is accepted only in the browser that started the login.
 * Consumed with one DELETE … RETURNING (single use); rows past `expires_at` are dead, but kept for
 * `EXPIRED_LOGINS_KEPT_MS` more so that a late answer is refused as expired rather than as not started here.
 */
export const samlRequests = sqliteTable('saml_requests', {
  id: text('id').primaryKey(),
  idpId: text('idp_id').notNull(),
  bindingHash: text('binding_hash').notNull(),
  /** What the login is for: `launch` (a survey) or `login`. */
  purpose: text('purpose').notNull(),
  /** The survey id for a launch; the return path for a plain login. */
  target: text('target'),
  /** Our id of the request that started the sign-in (its `saml.start` row's): the login's rows repeat it. */
  startRequestId: text('start_request_id'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});

/** How long a pending login is kept past its expiry (the purge's grace): an answer within it is told apart as late. */
export const EXPIRED_LOGINS_KEPT_MS = 3_600_000;
