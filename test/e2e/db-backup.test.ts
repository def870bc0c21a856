import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import { captureCli, runCliProcess, writeConfigFile } from '../helpers/cli.js';
import { alphaToken, newClientKey, startTestService, type TestService } from '../helpers/service.js';

/**
 * Backups that restore into a working, verifiable deployment: `campus-sts db backup` of a SQLite database while the
 * service writes, and pg_dump -Fc / pg_restore of a PostgreSQL one (which `db backup` points to).
 */
const cli = (s: TestService, args: string[]) => captureCli((io) => runCli(args, io, s.clock), s.env);

/** Rows as the token endpoint writes them (cheaper than real requests, which each verify a client secret). */
const appendRow = (s: TestService) =>
  s.audit.commit((tx) => s.audit.append(tx, { event: 'token.issue', outcome: 'success', clientId: 'alpha', audience: ['https://sis.example.edu'], scope: ['student.read'], jti: randomUUID(), data: { grant_type: 'client_credentials', expires_in: 300 } }));

describe('campus-sts db backup (SQLite)', () => {
  it('backs up while the service writes; a service started on the backup verifies', async () => {
    const gamma = await newClientKey();
    const s = await startTestService({ gamma });
    const backup = join(s.dir, 'backup.sqlite');
    try {
      await alphaToken(s);
      const config = writeConfigFile(s);
      // Writes keep landing, one commit after another, for as long as the backup (a separate process) runs.
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await appendRow(s);
          // A steady stream rather than a flood: on a 2-core box the backup process needs its share too.
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const rowsBefore = s.auditRows().length;
      const r = await runCliProcess(['db', 'backup', '--to', backup, '--config', config], s.env);
      writing = false;
      await writer;
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^backed up ${s.config.database.path} to ${backup} \\(\\d+ bytes\\)\\n$`));
      expect(statSync(backup).mode & 0o777).toBe(0o600);
      const rowsAfter = s.auditRows().length;
      expect(rowsAfter - rowsBefore).toBeGreaterThan(10);

      const again = await cli(s, ['db', 'backup', '--to', backup, '--config', config]);
      expect(again).toMatchObject({ code: 1, err: `campus-sts db backup: ${backup} already exists; a backup never overwrites a file` });

      // A consistent snapshot taken mid-stream: the original's rows up to some point during the backup, exactly.
      const file = new Database(backup);
      const copied = file.prepare('SELECT id, hash FROM audit_log ORDER BY id').all();
      file.close();
      expect(copied.length).toBeGreaterThan(rowsBefore);
      expect(copied.length).toBeLessThan(rowsAfter);
      expect(copied).toEqual(s.auditRows().slice(0, copied.length).map(({ id, hash }) => ({ id, hash })));

      const restored = await startTestService({ gamma, env: s.env, overrides: { database: { path: backup } } });
      try {
        expect(await alphaToken(restored)).toBeTruthy();
        const v = await cli(restored, ['audit', 'verify', '--config', writeConfigFile(restored)]);
        expect(v).toMatchObject({ code: 0, err: '' });
        expect(v.out).toBe(`audit chain intact: ${restored.auditRows().length} rows, up to row ${restored.lastAudit().id}, head ${restored.lastAudit().hash}`);
      } finally {
        await restored.stop();
      }
    } finally {
      await s.stop();
    }
  });

  it('refuses on PostgreSQL, pointing at pg_dump', async () => {
    const target = await createTestSchema();
    const s = await startTestService({ postgres: target });
    try {
      const r = await cli(s, ['db', 'backup', '--to', join(s.dir, 'x.sqlite'), '--config', writeConfigFile(s)]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^campus-sts db backup: the database is PostgreSQL [^\n]+: back it up with pg_dump -Fc, restore with pg_restore$/);
      expect(existsSync(join(s.dir, 'x.sqlite'))).toBe(false);
    } finally {
      await s.stop();
      await target.drop();
    }
  });
});

/** The server's own client tools when they are there (the version that matches it), else the ones on PATH. */
const pgTool = (name: string) => (existsSync(`/usr/lib/postgresql/15/bin/${name}`) ? `/usr/lib/postgresql/15/bin/${name}` : name);
const run = promisify(execFile);

describe('pg_dump -Fc / pg_restore (PostgreSQL)', () => {
  it('restores a deployment into a fresh database where audit verify passes', async () => {
    const target = await createTestSchema();
    const s = await startTestService({ postgres: target });
    const restoredDb = `campus_sts_restore_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    try {
      await alphaToken(s);
      for (let i = 0; i < 20; i++) await appendRow(s);
      await s.admin.checkpoints.create('cli');
      const config = writeConfigFile(s);
      const original = await cli(s, ['audit', 'verify', '--config', config]);
      expect(original.code).toBe(0);

      const dump = join(s.dir, 'campus-sts.dump');
      await run(pgTool('pg_dump'), ['-Fc', '-n', target.schema, '-f', dump, target.url]);
      await admin.query(`CREATE DATABASE ${restoredDb}`);
      const restoredUrl = Object.assign(new URL(target.url), { pathname: `/${restoredDb}` }).toString();
      await run(pgTool('pg_restore'), ['--exit-on-error', '-d', restoredUrl, dump]);

      const restoredConfig = join(s.dir, 'restored.yaml');
      writeFileSync(restoredConfig, stringify({ ...s.config, database: { ...s.config.database, url: restoredUrl } }));
      const restored = await cli(s, ['audit', 'verify', '--config', restoredConfig]);
      expect(restored).toMatchObject({ code: 0, err: '' });
      expect(restored.out).toBe(original.out);
      expect(restored.out).toMatch(/^audit chain intact: \d+ rows, up to row \d+, head [0-9a-f]{64}\ncheckpoints: 1 checked; latest covers row \d+/);
    } finally {
      await s.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${restoredDb} WITH (FORCE)`);
      await admin.end();
      await target.drop();
    }
  });
});
