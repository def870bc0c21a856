import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/launch-codes.ts`. */
export const launchCodes = pgTable('launch_codes', {
  codeHash: text('code_hash').primaryKey(),
  surveyId: text('survey_id').notNull(),
  jti: text('jti').notNull(),
  payloadSealed: text('payload_sealed'),
  createdAt: instant('created_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
  redeemedAt: instant('redeemed_at'),
});
