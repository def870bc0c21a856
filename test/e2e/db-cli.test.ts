import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { describeTarget } from '../../src/db/pg/client.js';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import { captureCli } from '../helpers/cli.js';

/** `campus-sts db migrate` on both engines, and every db verb's --help and usage errors. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-db-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// No master key in the environment: migrating needs none.
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => captureCli((io) => runCli(args, io), env);

const migrationCount = (engine: 'sqlite' | 'postgres') => (JSON.parse(readFileSync(join('db', engine, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

function config(database: string): string {
  const path = join(dir, 'campus-sts.yaml');
  writeFileSync(
    path,
    `issuer: https://sts.example.edu
database: ${database}
audiences: [{ id: https://sis.example.edu, scopes: [student.read] }]
clients: [{ id: sis, auth: { method: client_secret_basic, secret_env: SIS_SECRET }, audiences: [https://sis.example.edu], scopes: [student.read] }]
`,
  );
  return path;
}

describe('campus-sts db migrate', () => {
  it('migrates a new SQLite database, then finds it up to date', async () => {
    const db = join(dir, 'data', 'sts.sqlite');
    const path = config(`{ path: ${db} }`);
    const n = migrationCount('sqlite');
    expect(await cli(['db', 'migrate', '--config', path])).toEqual({ code: 0, out: `SQLite ${db}: applied ${n} migrations (${n} in all)`, err: '' });
    expect(await cli(['db', 'migrate', '--config', path])).toEqual({ code: 0, out: `SQLite ${db}: schema up to date (${n} migrations)`, err: '' });
  });

  it('refuses a SQLite schema newer than the code, as the start does', async () => {
    const db = join(dir, 'sts.sqlite');
    const path = config(`{ path: ${db} }`);
    expect((await cli(['db', 'migrate', '--config', path])).code).toBe(0);
    const raw = new Database(db);
    raw.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', Date.parse('2099-01-01'));
    raw.close();
    expect(await cli(['db', 'migrate', '--config', path])).toEqual({
      code: 1,
      out: '',
      err: 'campus-sts db migrate: the database schema is newer than this campus-sts (migration of 2099-01-01T00:00:00.000Z); run the campus-sts version that wrote it, or a newer one',
    });
  });

  it('migrates a PostgreSQL schema once when two run together (CAMPUS_STS_DATABASE_URL), and refuses a newer one', async () => {
    const target = await createTestSchema();
    try {
      const path = config(`{ schema: ${target.schema} }`);
      const env = { CAMPUS_STS_DATABASE_URL: target.url };
      const n = migrationCount('postgres');
      const where = `PostgreSQL ${describeTarget(target.url)} (schema ${target.schema})`;
      const both = await Promise.all([cli(['db', 'migrate', '--config', path], env), cli(['db', 'migrate', '--config', path], env)]);
      expect(both.map((r) => r.out).sort()).toEqual([`${where}: applied ${n} migrations (${n} in all)`, `${where}: schema up to date (${n} migrations)`]);
      expect(both.map((r) => r.code)).toEqual([0, 0]);

      const c = new pg.Client({ connectionString: target.url });
      await c.connect();
      await c.query(`INSERT INTO ${target.schema}.__drizzle_migrations (hash, created_at) VALUES ('future', $1)`, [Date.parse('2099-01-01')]);
      await c.end();
      const r = await cli(['db', 'migrate', '--config', path], env);
      expect(r).toMatchObject({ code: 1, out: '' });
      expect(r.err).toBe('campus-sts db migrate: the database schema is newer than this campus-sts (migration of 2099-01-01T00:00:00.000Z); run the campus-sts version that wrote it, or a newer one');
    } finally {
      await target.drop();
    }
  });
});

describe('campus-sts db … --help and usage errors', () => {
  // A config that does not exist: a verb that got past its usage checks fails on it, never on the demo's ./data.
  const env = { CAMPUS_STS_CONFIG: '/nonexistent/campus-sts.yaml' };

  it.each([['migrate'], ['copy'], ['backup']])('db %s --help', async (verb) => {
    const r = await cli(['db', verb, '--help'], env);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(new RegExp(`^campus-sts db ${verb} `));
  });

  it('lists the db verbs in the top-level usage', async () => {
    const r = await cli(['--help'], env);
    for (const verb of ['db migrate', 'db copy', 'db backup']) expect(r.out).toContain(verb);
  });

  const usage: [string[], string][] = [
    [['db', 'copy', '--to', 'postgres://127.0.0.1/x'], 'campus-sts db copy: --from SQLITE_FILE and --to POSTGRES_URL are required'],
    [['db', 'copy', '--from', 'x.sqlite', '--to', 'mysql://127.0.0.1/x'], 'campus-sts db copy: --to: expected a postgres:// URL'],
    [['db', 'copy', '--from', '/nonexistent/x.sqlite', '--to', 'postgres://127.0.0.1/x'], 'campus-sts db copy: --from /nonexistent/x.sqlite: no such file'],
    [['db', 'backup'], 'campus-sts db backup: --to FILE is required'],
    [['db', 'migrate', 'now'], 'campus-sts db migrate: expected 0 argument(s), got 1'],
  ];
  for (const [args, message] of usage) {
    it(`${args.join(' ')} → exit 2`, async () => {
      const r = await cli(args, env);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(message);
    });
  }
});
