import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, ensureSystemPackages, probeMissing } from './system-packages.js';

const SAML_PART = 'SimpleSAMLphp IdP (simplesamlphp php-cli php-xml php-mbstring openssl)';
const BROWSER_PART = 'Chromium (chromium fonts-dejavu-core)';

/** A PATH with only the tools the probes need besides php: SimpleSAMLphp then looks missing, the other parts not. */
const noPhp = mkdtempSync(join(tmpdir(), 'campus-sts-no-php-'));
for (const tool of ['dirname', 'dpkg-query', 'pg_isready']) symlinkSync(`/usr/bin/${tool}`, join(noPhp, tool));
const noPhpEnv = { PATH: noPhp };
afterAll(() => rmSync(noPhp, { recursive: true, force: true }));

describe('npm test: system packages the real-part tests need', () => {
  it('decides: run when nothing is missing, install as root, otherwise one line naming the command', () => {
    expect(decide([], false)).toEqual({ action: 'run' });
    expect(decide([], true)).toEqual({ action: 'run' });
    expect(decide([SAML_PART, BROWSER_PART], true)).toEqual({ action: 'install' });
    expect(decide([BROWSER_PART], false)).toEqual({
      action: 'refuse',
      message: `npm test needs system packages that are missing: ${BROWSER_PART}. Install them once with: sudo bash test/support/install-system-packages.sh`,
    });
  });

  it('probes this machine with the install script itself: everything present', () => {
    expect(probeMissing()).toEqual([]);
  });

  it('names the missing part when php is not there', () => {
    expect(probeMissing(noPhpEnv)).toEqual([SAML_PART]);
  });

  it('as another user, refuses with the one line and exit status 1', () => {
    const lines: string[] = [];
    expect(ensureSystemPackages({ uid: 1000, env: noPhpEnv, stderr: (l) => lines.push(l) })).toBe(1);
    expect(lines).toEqual([
      `npm test needs system packages that are missing: ${SAML_PART}. Install them once with: sudo bash test/support/install-system-packages.sh`,
    ]);
  });

  it('passes without a word when everything is present', () => {
    const lines: string[] = [];
    expect(ensureSystemPackages({ uid: 1000, stderr: (l) => lines.push(l) })).toBe(0);
    expect(lines).toEqual([]);
  });
});
