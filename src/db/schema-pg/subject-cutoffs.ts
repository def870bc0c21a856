import { pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from './columns.js';

/** PostgreSQL twin of `schema/subject-cutoffs.ts`. */
export const subjectCutoffs = pgTable('subject_cutoffs', {
  subject: text('subject').primaryKey(),
  cutoff: instant('cutoff').notNull(),
  expiresAt: instant('expires_at').notNull(),
});
