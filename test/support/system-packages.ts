import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm test` runs this first: the suite drives real parts (SimpleSAMLphp, Chromium) from Debian's packages and
 * never skips them. Missing parts are installed when we are root, with the very script `.ci/run` uses;
 * otherwise the run stops at once with one line naming the command to run.
 */

export const INSTALL_SCRIPT = 'test/support/install-system-packages.sh';
const scriptPath = fileURLToPath(new URL('./install-system-packages.sh', import.meta.url));

export type Verdict = { action: 'run' } | { action: 'install' } | { action: 'refuse'; message: string };

export function decide(missing: readonly string[], isRoot: boolean): Verdict {
  if (missing.length === 0) return { action: 'run' };
  if (isRoot) return { action: 'install' };
  return {
    action: 'refuse',
    message: `npm test needs system packages that are missing: ${missing.join('; ')}. Install them once with: sudo bash ${INSTALL_SCRIPT}`,
  };
}

/** The missing parts, as the install script's own `--check` reports them (one source for "installed"). */
export function probeMissing(env: NodeJS.ProcessEnv = process.env): string[] {
  const r = spawnSync('/bin/bash', [scriptPath, '--check'], { env, encoding: 'utf8' });
  if (r.error) throw r.error;
  const missing = r.stdout.split('\n').filter(Boolean);
  if (r.status !== 0 && missing.length === 0) throw new Error(`${INSTALL_SCRIPT} --check failed: ${r.stderr.trim()}`);
  return missing;
}

export function ensureSystemPackages(opts: { uid: number; env?: NodeJS.ProcessEnv; stderr?: (line: string) => void }): number {
  const stderr = opts.stderr ?? ((line) => process.stderr.write(line + '\n'));
  const verdict = decide(probeMissing(opts.env), opts.uid === 0);
  if (verdict.action === 'run') return 0;
  if (verdict.action === 'refuse') {
    stderr(verdict.message);
    return 1;
  }
  stderr(`installing the system packages the tests drive (${INSTALL_SCRIPT})…`);
  const install = spawnSync('/bin/bash', [scriptPath], { env: opts.env ?? process.env, stdio: 'inherit' });
  if (install.status !== 0) return install.status ?? 1;
  const still = probeMissing(opts.env);
  if (still.length === 0) return 0;
  stderr(`still missing after ${INSTALL_SCRIPT}: ${still.join('; ')}`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = ensureSystemPackages({ uid: process.getuid?.() ?? -1 });
}
