import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/compose/service.js';
import { parseConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { CLI_COMMAND } from '../helpers/cli.js';

/**
 * The real `campus-sts` process writing to a pipe: everything is written before it exits,
 * and a reader that goes away early makes it an error exit with one line, not a silent exit 0 or a stack trace.
 */
const ROWS = 20_000;
let dir: string;
let configFile: string;
const env = { CAMPUS_STS_MASTER_KEY: generateMasterKeyText() };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-pipe-'));
  const config = parseConfig({ issuer: 'https://sts.example.edu', database: { path: join(dir, 'sts.sqlite') } });
  configFile = join(dir, 'campus-sts.yaml');
  writeFileSync(configFile, stringify(config));
  const { engine, audit } = await openStore(config, env, systemClock);
  const data = { source: 'test', sha256: '0'.repeat(64), clients: 0, audiences: 0 };
  await audit.commit(async (tx) => {
    for (let i = 0; i < ROWS; i++) await audit.append(tx, { event: 'config.load', outcome: 'success', data });
  });
  await engine.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `campus-sts ARGS | READER` in bash; resolves with the CLI's own exit code and stderr, and the reader's output. */
function piped(args: string[], reader: string): Promise<{ code: number; err: string; read: string }> {
  const errFile = join(dir, `stderr-${Math.random().toString(36).slice(2)}`);
  const cli = [...CLI_COMMAND, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `${cli} 2>'${errFile}' | ${reader}; echo "exit=\${PIPESTATUS[0]}"`], { env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const m = /exit=(\d+)\n$/.exec(stdout);
      resolve({ code: Number(m?.[1]), read: stdout.slice(0, m?.index), err: readFileSync(errFile, 'utf8') });
    });
  });
}

describe('campus-sts output into a pipe', () => {
  it('writes every row of an export to a reader that reads it all, then exits 0', async () => {
    const r = await piped(['audit', 'export', '--config', configFile], 'cat');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.read.split('\n');
    expect(lines.pop()).toBe('');
    // A header, one line per row (the export's own audit row comes after the rows it covers), an end line with the count.
    expect(lines).toHaveLength(ROWS + 2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'end', rows: ROWS });
  });

  it('exits 1 with one line when the reader goes away early (head -c 100)', async () => {
    const r = await piped(['audit', 'export', '--config', configFile], 'head -c 100 >/dev/null');
    expect(r.code).toBe(1);
    expect(r.err).toBe('campus-sts audit export: standard output was closed before everything was written (EPIPE)\n');
  });
});
