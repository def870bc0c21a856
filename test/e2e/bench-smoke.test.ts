import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The benchmark harness (bench/, `npm run bench`) runs for about two seconds of load: it must start its
 * server children, drive them, stop them and report in the documented shape. No timing is asserted here:
 * numbers belong to `npm run bench`, not to the test suite.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'campus-sts-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run bench (smoke)', () => {
  it('runs floor and exchange in rotation and reports medians, their ratio and the CPU against the cryptography', async () => {
    const args = ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'floor,exchange', '--duration', '1', '--warmup', '0', '--rounds', '1', '--out', out];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 90_000, maxBuffer: 4 * 1024 * 1024 });

    const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
      machine: { cores: number; node: string };
      scenarios: Array<{ name: string; rounds: Array<{ ok: number; unexpected: Record<string, number> }>; median: { rps: number; p50Ms: number; p99Ms: number; cpuUsPerAnswer: number } }>;
      targets: Array<{ id: string; value?: number; shown: string }>;
      crypto?: { verifyUs: number; signUs: number; pairUs: number };
    };
    expect(report.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
    expect(report.scenarios.map((s) => s.name)).toEqual(['floor', 'exchange']);
    for (const s of report.scenarios) {
      expect(s.rounds).toHaveLength(1);
      expect(s.rounds[0]!.ok).toBeGreaterThan(0);
      expect(s.rounds[0]!.unexpected).toEqual({});
      expect(s.median.rps).toBeGreaterThan(0);
      expect(s.median.p99Ms).toBeGreaterThanOrEqual(s.median.p50Ms);
      expect(s.median.cpuUsPerAnswer).toBeGreaterThan(0);
    }
    expect(report.targets.find((t) => t.id === 'exchange/floor')?.value).toBeGreaterThan(0);
    expect(report.targets.find((t) => t.id === 'cc/peer')?.shown).toBe('not run');
    // With exchange in the run, the crypto microbenchmark runs too: CPU per exchange against ES256 verify + sign.
    expect(report.crypto).toBeDefined();
    expect(report.crypto!.pairUs).toBeCloseTo(report.crypto!.verifyUs + report.crypto!.signUs);
    expect(report.targets.find((t) => t.id === 'exchange-cpu/crypto')?.value).toBeGreaterThan(0);
    expect(stdout).toContain('| exchange / floor (req/s) |');
    expect(readFileSync(join(out, 'latest.md'), 'utf8').trimEnd()).toBe(stdout.trimEnd());
  }, 120_000);
});
