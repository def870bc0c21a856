import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { alphaToken, startTestService, type TestService } from '../helpers/service.js';
import { writeConfigFile } from '../helpers/cli.js';

let s: TestService;
beforeEach(async () => {
  s = await startTestService();
  for (let i = 0; i < 4; i++) await alphaToken(s);
});
afterEach(() => s.stop());

async function verifyCli(): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['audit', 'verify', '--config', writeConfigFile(s)], { env: s.env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('audit hash chain', () => {
  it('verifies an untouched log', async () => {
    const rows = s.auditRows();
    expect(rows.map((r) => r.event)).toEqual(['config.load', 'key.generate', 'token.issue', 'token.issue', 'token.issue', 'token.issue']);
    expect(rows[0]!.prevHash).toBe('0'.repeat(64));
    rows.slice(1).forEach((r, i) => expect(r.prevHash).toBe(rows[i]!.hash));
    const { code, out } = await verifyCli();
    expect(code).toBe(0);
    expect(out[0]).toBe(`audit chain intact: ${rows.length} rows, up to row ${rows.length}, head ${rows.at(-1)!.hash}`);
  });

  const tampering: [string, string, number, string, number?][] = [
    ['an edited row', "UPDATE audit_log SET subject = 'mallory' WHERE id = 4", 4, 'row 4 was edited: its content does not match its hash'],
    ['an edited outcome', "UPDATE audit_log SET outcome = 'refused' WHERE id = 5", 5, 'row 5 was edited: its content does not match its hash'],
    ['a deleted row', 'DELETE FROM audit_log WHERE id = 4', 5, 'row 5 follows row 3: rows 4..4 are missing', 3],
    ['reordered rows', 'UPDATE audit_log SET id = -1 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = 4; UPDATE audit_log SET id = 4 WHERE id = -1;', 3,
      'row 3 does not link to the row before it (deleted, inserted or reordered rows)'],
    ['a re-hashed edit (the next row still links to the old hash)', "UPDATE audit_log SET subject = 'mallory' WHERE id = 4", 4, ''],
  ];
  for (const [name, sql, badRow, problem, before = badRow - 1] of tampering) {
    it(`names the first bad row after ${name}`, async () => {
      s.sqlite.sqlite.exec(sql);
      if (!problem) {
        // Recompute row 4's own hash so only the link from row 5 can give it away.
        const { hashRow } = await import('../../src/audit/chain.js');
        const row = s.auditRows().find((r) => r.id === 4)!;
        s.sqlite.sqlite.prepare('UPDATE audit_log SET hash = ? WHERE id = 4').run(hashRow(row));
        expect(await s.audit.verify()).toMatchObject({ ok: false, badRowId: 5 });
        return;
      }
      expect(await s.audit.verify()).toEqual({ ok: false, rows: before, badRowId: badRow, problem });
      const { code, err } = await verifyCli();
      expect(code).toBe(1);
      expect(err[0]).toBe(`audit chain broken at row ${badRow}: ${problem} (${before} rows verified before it)`);
    });
  }
});
