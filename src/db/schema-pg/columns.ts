import { timestamp } from 'drizzle-orm/pg-core';

/** A point in time as `timestamptz` with millisecond precision: the SQLite schema's `timestamp_ms`, as a Date. */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
