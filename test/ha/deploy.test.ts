import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOY_CONFIG, HAPROXY, testConfigFromDeploy } from '../support/balancer/haproxy.js';

/** The reference deployment files in deploy/: the systemd unit is valid and hardened; the HAProxy config parses. */
const UNIT = join(process.cwd(), 'deploy', 'campus-sts.service');
const dir = mkdtempSync(join(tmpdir(), 'campus-sts-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `Key=value` lines of one [Section]; a key given twice keeps every value. */
function unitSection(text: string, section: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (current === section) {
      const eq = line.indexOf('=');
      keys.set(line.slice(0, eq), [...(keys.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
    }
  }
  return keys;
}

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('deploy/campus-sts.service', () => {
  const text = readFileSync(UNIT, 'utf8');
  const service = unitSection(text, 'Service');

  it('runs as its own user, restarts on failure, and may write only its data folder', () => {
    expect(service.get('User')).toEqual(['campus-sts']);
    expect(service.get('Restart')).toEqual(['on-failure']);
    expect(service.get('ReadWritePaths')).toEqual(['/var/lib/campus-sts']);
    const hardening: [string, string][] = [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['CapabilityBoundingSet', '']];
    for (const [key, value] of hardening) expect([key, service.get(key)]).toEqual([key, [value]]);
  });

  it('takes its secrets from LoadCredential=, which the config reads as *_file in the credentials directory', () => {
    const credentials = new Map((service.get('LoadCredential') ?? []).map((c) => c.split(':') as [string, string]));
    expect(credentials.get('master-key')).toBe('/etc/campus-sts/credentials/master-key');
    expect(credentials.get('pgpass')).toBe('/etc/campus-sts/credentials/pgpass');
    expect(service.get('Environment')).toContain('PGPASSFILE=%d/pgpass');
    expect(text).toContain('key_file: /run/credentials/campus-sts.service/master-key');
  });

  it.runIf(systemdAnalyze)('passes systemd-analyze verify without a warning, and its exposure score is low', () => {
    // verify checks that ExecStart's program exists: on a machine whose Node is elsewhere, check with this one.
    const unit = join(dir, 'campus-sts.service');
    writeFileSync(unit, existsSync('/usr/bin/node') ? text : text.replace('/usr/bin/node ', `${process.execPath} `));
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect({ code: verify.status, err: verify.stderr }).toEqual({ code: 0, err: '' });
    // The threshold is on systemd's internal 0-100 scale: 20 is the "2.0" it prints (this unit scores 1.4).
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', unit], { encoding: 'utf8' });
    expect(security.status, security.stdout.split('\n').slice(-3).join('\n')).toBe(0);
  });
});

describe('deploy/haproxy.cfg', () => {
  it('is valid as the failover test runs it (haproxy -c)', () => {
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, testConfigFromDeploy(readFileSync(DEPLOY_CONFIG, 'utf8'), { port: 18080, servers: [{ name: 'sts1', port: 18081 }, { name: 'sts2', port: 18082 }], socket: join(dir, 'admin.sock') }));
    const check = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' });
    expect({ code: check.status, out: check.stdout + check.stderr }).toMatchObject({ code: 0, out: expect.stringContaining('Configuration file is valid') });
  });
});
