import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from './schema-pg/index.js';
import * as sqliteSchema from './schema/index.js';

/** What a column must agree on across dialects: its name, nullability, key, enum, and kind of value. */
function shape(column: { name: string; notNull: boolean; primary: boolean; enumValues?: readonly string[] | undefined; dataType: string; columnType: string }) {
  // drizzle's dataType names the JS value: SQLite's timestamp_ms and PostgreSQL's timestamptz are both `date`.
  return { name: column.name, notNull: column.notNull, primary: column.primary, enum: column.enumValues ?? null, value: column.dataType };
}

function describeTables<T>(tables: T[], config: (t: T) => { name: string; columns: Parameters<typeof shape>[0][]; indexes: { config: { name: string; columns: unknown[] } }[] }) {
  return Object.fromEntries(
    tables.map((t) => {
      const c = config(t);
      const indexes = c.indexes.map((i) => ({ name: i.config.name, columns: i.config.columns.map((col) => (col as { name: string }).name) }));
      return [c.name, { columns: c.columns.map(shape), indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)) }];
    }),
  );
}

describe('the SQLite and PostgreSQL schemas', () => {
  it('have the same tables, columns (name, nullability, key, enum, value kind) and indexes', () => {
    const sqlite = describeTables((Object.values(sqliteSchema) as unknown[]).filter((v): v is SQLiteTable => v instanceof SQLiteTable), (t) => sqliteConfig(t) as never);
    const pg = describeTables((Object.values(pgSchema) as unknown[]).filter((v): v is PgTable => v instanceof PgTable), (t) => pgConfig(t) as never);
    expect(Object.keys(sqlite)).toHaveLength(14);
    // PostgreSQL-only: the failure throttle's shared counters (in memory on SQLite, where there is one instance).
    const { rate_limits: pgOnly, ...shared } = pg;
    expect(pgOnly?.columns.map((c) => c.name)).toEqual(['key', 'points', 'expire']);
    expect(shared).toEqual(sqlite);
  });
});
