import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../core/paths.js';
import { DatabaseError } from '../client.js';
import { describeTarget, openPgDatabase, type PgDatabase } from './client.js';
import { createTestSchema } from './harness.contract.js';

const journal = JSON.parse(readFileSync(join(migrationsFolder.postgres, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };

describe('opening PostgreSQL', () => {
  const opened: PgDatabase[] = [];
  const targets: Awaited<ReturnType<typeof createTestSchema>>[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
    await Promise.all(targets.splice(0).map((t) => t.drop()));
  });
  const target = async () => {
    const t = await createTestSchema();
    targets.push(t);
    return t;
  };
  const applied = async (t: { url: string; schema: string }) => {
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    const { rows } = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${t.schema}.__drizzle_migrations`);
    await c.end();
    return Number(rows[0]!.n);
  };

  it('four instances starting together apply each migration exactly once (the advisory lock)', async () => {
    const t = await target();
    opened.push(...(await Promise.all(Array.from({ length: 4 }, () => openPgDatabase({ url: t.url, schema: t.schema, poolSize: 2 })))));
    expect(await applied(t)).toBe(journal.entries.length);
    const { rows } = await opened[0]!.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'audit_log'", [t.schema]);
    expect(rows[0]!.n).toBe('1');
  });

  it('refuses a schema written by a newer campus-sts, and leaves it as it is', async () => {
    const t = await target();
    const first = await openPgDatabase({ url: t.url, schema: t.schema, poolSize: 2 });
    await first.pool.query(`INSERT INTO ${t.schema}.__drizzle_migrations (hash, created_at) VALUES ('future', $1)`, [Date.parse('2099-01-01T00:00:00.000Z')]);
    await first.close();
    const refusal = await openPgDatabase({ url: t.url, schema: t.schema, poolSize: 2 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DatabaseError);
    expect((refusal as Error).message).toBe(
      'the database schema is newer than this campus-sts (migration of 2099-01-01T00:00:00.000Z); run the campus-sts version that wrote it, or a newer one',
    );
    expect(await applied(t)).toBe(journal.entries.length + 1);
  });

  it('names host, port and database of an unreachable server, never the password', async () => {
    const refusal = await openPgDatabase({ url: 'postgres://campus:s3cret-pw@127.0.0.1:1/campus_sts', connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DatabaseError);
    expect((refusal as Error).message).toMatch(/^cannot prepare the PostgreSQL database at 127\.0\.0\.1:1\/campus_sts: .*ECONNREFUSED/);
    expect((refusal as Error).message).not.toContain('s3cret-pw');
    expect(describeTarget('postgres://u:p@db.example.edu/sts')).toBe('db.example.edu:5432/sts');
  });
});
