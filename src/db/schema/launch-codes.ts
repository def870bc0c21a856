import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One-time launch codes (flow 1 → 2): stored by sha256 of the code, never the code itself. The payload (the
 * minted JWT and the released claims) is sealed with the master key (AAD = code hash). Redeemed with one
 * DELETE … RETURNING, so a code works once; rows past `expires_at` (~60 s) are dead.
 */
export const launchCodes = sqliteTable('launch_codes', {
  codeHash: text('code_hash').primaryKey(),
  surveyId: text('survey_id').notNull(),
  jti: text('jti').notNull(),
  payloadSealed: text('payload_sealed').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
