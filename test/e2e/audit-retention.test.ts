import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { captureCli, writeConfigFile } from '../helpers/cli.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * Retention: `campus-sts audit prune` removes rows older than the retention period, keeps the rest verifiable
 * from a stored anchor (and says so in an audit.prune row), refuses to launder a tampered range, and moving the
 * anchor afterwards is detected.
 */
let s: TestService;
let config: string;
let firstYearIds: number[];

beforeEach(async () => {
  s = await startTestService({ startAt: '2025-01-01T09:00:00Z', overrides: { admin: { audit: { retention_days: 365, checkpoint_interval_seconds: 0 } } } });
  config = writeConfigFile(s);
  await issueRows(3);
  await s.admin.checkpoints.create('cli');
  firstYearIds = s.auditRows().map((r) => r.id);
  s.clock.advance(200 * 86_400_000);
  await issueRows(3);
  s.clock.advance(200 * 86_400_000);
  await issueRows(2);
});
afterEach(() => s.stop());

const cli = (args: string[]) => captureCli((io) => runCli(args, io, s.clock), s.env);

/** Rows as the token endpoint writes them (cheaper than real requests, which each verify a client secret). */
async function issueRows(n: number): Promise<void> {
  await s.audit.commit(async (tx) => {
    for (let i = 0; i < n; i++) {
      await s.audit.append(tx, { event: 'token.issue', outcome: 'success', clientId: 'alpha', audience: ['https://sis.example.edu'], scope: ['student.read'], jti: randomUUID(), data: { grant_type: 'client_credentials', expires_in: 300 } });
    }
  });
}

describe('campus-sts audit prune', () => {
  it('removes rows past the retention period; the rest still verifies from the anchor', async () => {
    const before = s.auditRows();
    const cutoff = new Date(s.clock.now().getTime() - 365 * 86_400_000);
    const old = before.filter((r) => r.at < cutoff);
    expect(old.map((r) => r.id)).toEqual(firstYearIds);
    const lastOld = old.at(-1)!;

    const r = await cli(['audit', 'prune', '--config', config]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`removed ${old.length} rows written before ${cutoff.toISOString()}; the chain now starts at row ${lastOld.id + 1} (anchor ${lastOld.hash})`);
    const after = s.auditRows();
    expect(after[0]!.id).toBe(lastOld.id + 1);
    expect(after[0]!.prevHash).toBe(lastOld.hash);
    expect(s.lastAudit()).toMatchObject({ event: 'audit.prune', outcome: 'success' });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ actor: 'cli', before: cutoff.toISOString(), removed: old.length, first_kept_id: lastOld.id + 1, anchor_hash: lastOld.hash });
    expect(s.sqlite.sqlite.prepare('SELECT first_id, prev_hash FROM audit_anchor').get()).toEqual({ first_id: lastOld.id + 1, prev_hash: lastOld.hash });

    expect(await s.audit.verify()).toMatchObject({ ok: true, rows: after.length });
    const v = await cli(['audit', 'verify', '--config', config]);
    expect(v.code).toBe(0);
    expect(v.out.split('\n')).toEqual([
      `audit chain intact: ${after.length} rows, up to row ${s.lastAudit().id}, head ${s.lastAudit().hash}`,
      `anchor: the chain starts at row ${lastOld.id + 1} (older rows pruned ${s.clock.now().toISOString()})`,
      `checkpoints: 0 checked, 1 older than the anchor; latest covers row ${firstYearIds.at(-2)} (2025-01-01T09:00:00.000Z)`,
    ]);

    // Appending, pruning again (nothing old) and exporting all keep working.
    await issueRows(1);
    expect((await cli(['audit', 'prune', '--config', config])).out).toMatch(/^removed 0 rows .*the chain now starts at row/);
    const out = join(s.dir, 'after-prune.jsonl');
    expect((await cli(['audit', 'export', '--config', config, '--out', out])).code).toBe(0);
    const offline = await cli(['audit', 'verify', '--file', out]);
    expect(offline.err).toBe('');
    expect(offline.out).toContain(`chain intact: `);
    expect(offline.out).toContain(`rows ${lastOld.id + 1}..`);
  });

  it('prunes again a year later: the newest prune row vouches for the anchor', async () => {
    await cli(['audit', 'prune', '--config', config]);
    s.clock.advance(366 * 86_400_000);
    await issueRows(1);
    const r = await cli(['audit', 'prune', '--config', config]);
    expect(r.code).toBe(0);
    expect((await cli(['audit', 'verify', '--config', config])).code).toBe(0);
    expect(s.auditRows().filter((row) => row.event === 'audit.prune')).toHaveLength(1);
  });

  it('detects an anchor moved forward to hide more deleted rows', async () => {
    await cli(['audit', 'prune', '--config', config]);
    const [first, second] = s.auditRows();
    // The attacker deletes the two oldest kept rows and moves the anchor to make the chain start cleanly again.
    s.sqlite.sqlite.exec(`DELETE FROM audit_log WHERE id <= ${second!.id}; UPDATE audit_anchor SET first_id = ${second!.id + 1}, prev_hash = '${second!.hash}'`);
    expect(await s.audit.verify()).toMatchObject({ ok: true });
    const r = await cli(['audit', 'verify', '--config', config]);
    expect(r.code).toBe(1);
    const prune = s.auditRows().find((row) => row.event === 'audit.prune')!;
    expect(r.err).toBe(`the anchor (row ${second!.id + 1}) differs from what the latest prune (row ${prune.id}) recorded (row ${first!.id})`);
  });

  it('detects rows deleted from the start when there is no anchor for them', async () => {
    await cli(['audit', 'prune', '--config', config]);
    s.sqlite.sqlite.exec('DELETE FROM audit_anchor');
    const r = await cli(['audit', 'verify', '--config', config]);
    expect(r.code).toBe(1);
    const first = s.auditRows()[0]!.id;
    expect(r.err).toBe(`audit chain broken at row ${first}: the chain starts at row 1 but the first row is ${first}: rows 1..${first - 1} are missing (0 rows verified before it)`);
  });

  it('refuses to prune rows that do not verify (pruning must not launder tampering)', async () => {
    s.sqlite.sqlite.exec(`UPDATE audit_log SET subject = 'mallory' WHERE id = 3`);
    const count = s.auditRows().length;
    const r = await cli(['audit', 'prune', '--config', config]);
    expect(r).toMatchObject({ code: 1, err: 'campus-sts audit prune: refusing to prune: the rows to remove do not verify (row 3: row 3 was edited: its content does not match its hash)' });
    expect(s.auditRows().length).toBe(count);
  });

  it('--dry-run counts without changing anything; --keep-days overrides the config', async () => {
    const count = s.auditRows().length;
    const dry = await cli(['audit', 'prune', '--config', config, '--dry-run']);
    expect(dry.out).toMatch(new RegExp(`^would remove ${firstYearIds.length} rows written before .*; the chain would start at row ${firstYearIds.length + 1}`));
    expect(s.auditRows().length).toBe(count);
    const keep = await cli(['audit', 'prune', '--config', config, '--keep-days', '100', '--dry-run']);
    expect(keep.out).toMatch(new RegExp(`^would remove ${count - 2} rows`));
  });

  it('explains a missing retention period and bad options (exit 2)', async () => {
    const other = await startTestService();
    try {
      const r = await captureCli((io) => runCli(['audit', 'prune', '--config', writeConfigFile(other)], io), other.env);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe('campus-sts audit prune: no retention period: set admin.audit.retention_days in the config, or pass --keep-days N');
    } finally {
      other.stop();
    }
    expect((await cli(['audit', 'prune', '--config', config, '--keep-days', '0'])).err.split('\n')[0]).toBe('campus-sts audit prune: --keep-days: expected a whole number of days, at least 1');
  });
});
