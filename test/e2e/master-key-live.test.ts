import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { generateMasterKeyText, parseMasterKey } from '../../src/core/sealed-box.js';
import { runCliProcess, startServeProcess, type ServeProcess } from '../helpers/cli.js';
import { AUD, basic, newClientKey, SECRETS, testConfig } from '../helpers/service.js';

/**
 * `campus-sts keys rotate-master` while an instance still runs under the old master key:
 * the instance keeps signing with the key it has already opened; a signing key sealed under the new master key
 * (which it does not hold) makes it answer 503 temporarily_unavailable and log once what to do — never a 500.
 */
let dir: string;
let server: ServeProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const OLD = generateMasterKeyText();
const NEW = generateMasterKeyText();
const secrets = { ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta };

async function token(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST',
    headers: { authorization: basic('alpha', SECRETS.alpha), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a running instance across a master-key rotation', () => {
  it('keeps issuing after keys rotate-master; a signing key it cannot open is a 503 with one log line, never a 500', async () => {
    dir = mkdtempSync(join(tmpdir(), 'campus-sts-master-'));
    const base = testConfig(dir, (await newClientKey()).jwks);
    const write = (name: string, masterKey: Record<string, string>) => {
      const file = join(dir, name);
      writeFileSync(file, stringify({ ...base, master_key: masterKey }));
      return file;
    };
    const running = write('running.yaml', { key_env: 'OLD_KEY' });
    const rotating = write('rotating.yaml', { key_env: 'NEW_KEY', previous_key_env: 'OLD_KEY' });
    const env = { ...secrets, OLD_KEY: OLD, NEW_KEY: NEW };
    server = await startServeProcess(running, env);

    // The operator re-seals everything under the new key before this instance has issued a single token.
    const rotated = await runCliProcess(['keys', 'rotate-master', '--config', rotating], env);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toContain(`re-sealed 1 value(s) under master key ${parseMasterKey(NEW).id}`);
    const first = await token(server.port);
    expect(first.status).toBe(200);
    expect(first.body.access_token).toMatch(/^eyJ/);

    // A new signing key, sealed under the new master key, which this instance does not hold.
    expect((await runCliProcess(['keys', 'rotate', '--config', rotating], env)).code).toBe(0);
    // The instance re-reads its key table every few seconds: wait until it has seen the new key.
    let refused = await token(server.port);
    for (let i = 0; i < 100 && refused.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      refused = await token(server.port);
    }
    expect(refused).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'the service cannot open its stored keys; try again shortly' } });
    expect(await token(server.port)).toEqual(refused);
    const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { database: 'ok', signing_key: 'failing' } });

    const out = server.output();
    expect(out).not.toContain('unexpected error');
    const hints = out.split('\n').filter((l) => l.includes('master key changed: restart with the new key'));
    expect(hints).toHaveLength(1);
    expect(JSON.parse(hints[0]!)).toMatchObject({ level: 50, key_id: parseMasterKey(NEW).id, msg: 'master key changed: restart with the new key' });

    const db = new Database(base.database.path, { readonly: true });
    try {
      const rows = db.prepare("SELECT outcome, client_id, reason, data FROM audit_log WHERE event = 'token.issue' ORDER BY id").all();
      expect(rows[0]).toMatchObject({ outcome: 'success', client_id: 'alpha' });
      expect(rows.at(-1)).toEqual({
        outcome: 'refused',
        client_id: 'alpha',
        reason: `sealed with master key ${parseMasterKey(NEW).id}, which is not configured`,
        data: JSON.stringify({ grant_type: 'client_credentials', error: 'temporarily_unavailable' }),
      });
    } finally {
      db.close();
    }
  }, 60_000);
});
