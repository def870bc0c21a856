import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One-time launch codes (flow 1 → 2): stored by sha256 of the code, never the code itself. The payload (the
 * minted JWT and the released claims) is sealed with the master key (AAD = code hash). Redeemed with one
 * UPDATE … WHERE redeemed_at IS NULL … RETURNING, so a code works once; the payload is then dropped, but the row
 * (survey, jti) stays until `expires_at` (~60 s) so a replay is audited with the survey and token it tried.
 */
export const launchCodes = sqliteTable('launch_codes', {
  codeHash: text('code_hash').primaryKey(),
  surveyId: text('survey_id').notNull(),
  jti: text('jti').notNull(),
  /** NULL once redeemed. */
  payloadSealed: text('payload_sealed'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  redeemedAt: integer('redeemed_at', { mode: 'timestamp_ms' }),
});
