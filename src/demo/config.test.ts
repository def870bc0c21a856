import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DemoRefused, demoConfig } from './config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-demo-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('demoConfig', () => {
  it('wires the demo IdP and the student-only demo survey on this host', async () => {
    const { config, demo } = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 9123, env: {} });
    const issuer = 'http://127.0.0.1:9123';
    expect(config.idps).toEqual([
      expect.objectContaining({
        id: 'demo-idp',
        metadata: { file: join(dir, 'demo-idp-metadata-127.0.0.1-9123.xml') },
        signed: 'both',
        subject: { source: 'eppn' },
        claim_rules: { student_id: { from: 'schacPersonalUniqueCode', extract: '^urn:schac:personalUniqueCode:int:esi:demo\\.campus-sts\\.test:(.+)$', pick: 'one' } },
      }),
    ]);
    expect(config.surveys).toEqual([
      expect.objectContaining({
        id: 'demo-survey',
        url: `${issuer}/demo/survey`,
        audience: 'https://sis.demo.campus-sts.test',
        require: { affiliation: ['student'] },
        release: ['displayName', 'affiliation', 'mail', 'student_id'],
        origins: [issuer],
      }),
    ]);
    expect(config.saml.keys_dir).toBe(join(dir, 'certs'));
    expect(demo.idp.sp).toEqual({ entityId: `${issuer}/saml/metadata`, acsUrl: `${issuer}/saml/acs` });
    expect(config.saml.entity_id).toBe(demo.idp.sp.entityId);
    expect(readFileSync(join(dir, 'demo-idp-metadata-127.0.0.1-9123.xml'), 'utf8')).toBe(demo.idp.metadataXml);
    expect(demo.survey.launchUrl).toBe(`${issuer}/launch/demo-survey`);
    // The demo upstream: the survey page shows the respondent's own record through the proxy.
    expect(demo.recordUrl).toBe('/upstreams/demo-sis/me');
    expect(config.upstreams).toEqual([expect.objectContaining({ id: 'demo-sis', audience: 'https://sis.demo.campus-sts.test', grant: 'client_credentials' })]);
  });

  it('generates the IdP key pair once (0600) and reuses it on the next start, on any port', async () => {
    const first = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 8787, env: {} });
    const again = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 8788, env: {} });
    expect(again.demo.idp.keys).toEqual(first.demo.idp.keys);
    expect(statSync(join(dir, 'demo-idp-signing.key')).mode & 0o777).toBe(0o600);
    expect(again.demo.idp.metadataXml).toContain('entityID="http://127.0.0.1:8788/demo-idp/metadata"');
  });

  it('leaves the IdP metadata of a demo on another port alone (a CLI verb in demo mode runs on 8787)', async () => {
    const serving = await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 9123, env: {} });
    await demoConfig({ dataDir: dir, host: '127.0.0.1', port: 8787, env: {} });
    const file = (serving.config.idps[0]!.metadata as { file: string }).file;
    expect(readFileSync(file, 'utf8')).toBe(serving.demo.idp.metadataXml);
    expect(serving.demo.idp.metadataXml).toContain('entityID="http://127.0.0.1:9123/demo-idp/metadata"');
  });

  it('refuses NODE_ENV=production before writing anything', async () => {
    await expect(demoConfig({ dataDir: join(dir, 'never'), host: '127.0.0.1', port: 8787, env: { NODE_ENV: 'production' } })).rejects.toBeInstanceOf(DemoRefused);
    expect(() => statSync(join(dir, 'never'))).toThrow();
  });
});
