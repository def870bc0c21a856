import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/compose/service.js';
import { systemClock } from '../../src/core/clock.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { runCliProcess, startServeProcess } from '../helpers/cli.js';
import { newClientKey, SECRETS, testConfig } from '../helpers/service.js';

/**
 * Start-up failures of the real `campus-sts serve`: every problem at once, one line each
 * saying what to do, exit 1, no stack trace, and nothing left half-created. Files holding secrets are 0600.
 */
let dir: string;
let busy: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-start-'));
  chmodSync(dir, 0o755);
});
afterEach(() => {
  busy?.close();
  busy = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const secrets = { TEST_MASTER_KEY: generateMasterKeyText(), ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta };

async function configFile(overrides: Record<string, unknown> = {}) {
  const config = testConfig(dir, (await newClientKey()).jwks, { database: { path: join(dir, 'data', 'sts.sqlite') }, ...overrides });
  const file = join(dir, 'campus-sts.yaml');
  writeFileSync(file, stringify(config));
  return { file, config };
}

async function occupiedPort(): Promise<number> {
  busy = createServer();
  await new Promise<void>((resolve) => busy!.listen(0, '127.0.0.1', resolve));
  return (busy.address() as { port: number }).port;
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('campus-sts serve: start-up failures', () => {
  it('names every missing environment variable at once, and creates nothing', async () => {
    const { file } = await configFile();
    const r = await runCliProcess(['serve', '--config', file], { BETA_SECRET: SECRETS.beta });
    expect(r).toEqual({
      code: 1,
      out: '',
      err:
        'campus-sts serve: environment: invalid configuration\n' +
        '  - master_key: environment variable TEST_MASTER_KEY is not set\n' +
        '  - clients[0].auth: environment variable ALPHA_SECRET is not set\n',
    });
    expect(readdirSync(dir)).toEqual(['campus-sts.yaml']);
  });

  it('a port in use: one line saying what to do, and no database left behind', async () => {
    const port = await occupiedPort();
    const { file } = await configFile();
    const r = await runCliProcess(['serve', '--config', file], { ...secrets, PORT: String(port) });
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `campus-sts serve: cannot listen on 127.0.0.1:${port}: the address is already in use (stop the other process, or set server.port or PORT)\n`,
    });
    expect(readdirSync(dir)).toEqual(['campus-sts.yaml']);
  });

  it('the demo on a port in use leaves no master key, keys or database behind', async () => {
    const port = await occupiedPort();
    const data = join(dir, 'demo-data');
    const r = await runCliProcess(['serve'], { CAMPUS_STS_DATA: data, PORT: String(port) });
    // The demo upstream's oidc-provider warns about Node 20 on its own (not a start-up failure of ours).
    r.err = r.err.replace(/^oidc-provider WARNING: .*\n/m, '');
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `campus-sts serve: cannot listen on 127.0.0.1:${port}: the address is already in use (stop the other process, or set server.port or PORT)\n`,
    });
    expect(existsSync(data)).toBe(false);
  }, 60_000);

  it('a read-only database: one line, no stack trace, nothing changed', async () => {
    const { file, config } = await configFile();
    await (await openStore(config, secrets, systemClock)).engine.close();
    const data = join(dir, 'data');
    const before = readdirSync(data).sort();
    // The service runs as an unprivileged user that may read the database but not write it.
    const asUser = process.getuid?.() === 0 ? 65534 : undefined;
    if (asUser !== undefined) for (const p of [dir, data, file, ...before.map((f) => join(data, f))]) chownSync(p, asUser, asUser);
    chmodSync(config.database.path, 0o444);
    const r = await runCliProcess(['serve', '--config', file], secrets, asUser);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `campus-sts serve: cannot write the database at ${config.database.path}: EACCES on ${config.database.path} (can this user write the file and its folder?)\n`,
    });
    expect(readdirSync(data).sort()).toEqual(before);
  });
});

describe('file modes of what the service creates', () => {
  it('the demo: database, WAL, master key and private keys 0600; their folders 0700', async () => {
    const data = join(dir, 'demo-data');
    const server = await startServeProcess(undefined, { CAMPUS_STS_DATA: data });
    try {
      expect(mode(data)).toBe('700');
      expect(mode(join(data, 'certs'))).toBe('700');
      for (const f of ['campus-sts.sqlite', 'campus-sts.sqlite-wal', 'campus-sts.sqlite-shm', 'master.key', 'demo-idp-signing.key', 'demo-sis-client.secret', 'certs/sp-signing.key', 'certs/sp-encryption.key']) {
        expect([f, mode(join(data, f))]).toEqual([f, '600']);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('a configured database in a new folder: 0600 files in a 0700 folder', async () => {
    const { file, config } = await configFile();
    const server = await startServeProcess(file, secrets);
    try {
      expect(mode(join(dir, 'data'))).toBe('700');
      for (const suffix of ['', '-wal', '-shm']) expect(mode(config.database.path + suffix)).toBe('600');
    } finally {
      await server.stop();
    }
  });
});
