import { bigint, integer, pgTable, varchar } from 'drizzle-orm/pg-core';

/**
 * PostgreSQL only: rate-limiter-flexible's counters of failed client authentications (its RateLimiterPostgres
 * table, in the layout it expects), shared by every instance. On SQLite (one instance) they live in memory.
 * Created here rather than by the library, so that instances starting together never race to create it.
 */
export const rateLimits = pgTable('rate_limits', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});
