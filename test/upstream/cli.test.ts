import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { generateMasterKeyText, parseMasterKey } from '../../src/core/sealed-box.js';
import { captureCli } from '../helpers/cli.js';
import { auditOf, CALLBACK, connectRecords, dataOf, startOidcUpstream, startWorldService, studentToken, vaultRow, viaProxy, type OidcUpstream, type TestService } from './world.js';

/** The operator's verbs: upstream status, upstream disconnect, keys rotate-master. */

let up: OidcUpstream;
let s: TestService;
beforeAll(async () => {
  up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
});
afterAll(() => up.stop());
beforeEach(async () => {
  s = await startWorldService(up);
});
afterEach(() => s.stop());

function configFile(patch: Record<string, unknown> = {}): string {
  const path = join(s.dir, `campus-sts-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify({ ...s.config, ...patch }));
  return path;
}
const cli = (args: string[], env: NodeJS.ProcessEnv = s.env) => captureCli((io) => runCli(args, io), env);

describe('campus-sts upstream status', () => {
  it('lists each connection: state, expiry, last error; exit 1 once one needs re-authorisation', async () => {
    await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    const path = configFile();
    const table = await cli(['upstream', 'status', '--config', path]);
    expect(table.code).toBe(0);
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(/^UPSTREAM +PROVIDER +GRANT +STATE +EXPIRES AT +LAST ERROR$/);
    expect(lines[1]).toMatch(/^sis +generic-oauth2 +client_credentials +connected +\d{4}-\d\d-\d\dT[\d:.]+Z +-$/);
    expect(lines[2]).toMatch(/^records +generic-oauth2 +authorization_code +not connected +- +-$/);

    await connectRecords(s);
    s.sqlite.sqlite.prepare("UPDATE upstream_connections SET status = 'needs_reauth', last_error = 'refresh refused: invalid_grant', last_error_at = ? WHERE upstream_id = 'records'").run(Date.now());
    const json = await cli(['upstream', 'status', '--config', path, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toEqual([
      { upstream: 'sis', provider: 'generic-oauth2', grant: 'client_credentials', state: 'connected', expires_at: expect.any(String), connected_at: expect.any(String), last_error: null, last_error_at: null },
      { upstream: 'records', provider: 'generic-oauth2', grant: 'authorization_code', state: 'needs_reauth', expires_at: expect.any(String), connected_at: expect.any(String), last_error: 'refresh refused: invalid_grant', last_error_at: expect.any(String) },
    ]);
  });

  it.each([['upstream', 'status'], ['upstream', 'disconnect'], ['keys', 'rotate-master']])('%s %s --help', async (...verb) => {
    const r = await cli([...verb, '--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(new RegExp(`^campus-sts ${verb.join(' ')} `));
  });
});

describe('campus-sts upstream disconnect', () => {
  it('revokes at the provider and forgets the tokens, audited with the operator', async () => {
    await connectRecords(s);
    const revocations = up.revocations;
    const r = await cli(['upstream', 'disconnect', 'records', '--config', configFile()], { ...s.env, USER: 'ops-jane' });
    expect(r).toMatchObject({ code: 0, out: 'disconnected records; its tokens were revoked at the provider' });
    expect(up.revocations).toBe(revocations + 1);
    expect(vaultRow(s, 'records')).toMatchObject({ status: 'disconnected', accessTokenSealed: null, refreshTokenSealed: null });
    expect(dataOf(auditOf(s, 'upstream.disconnect')[0])).toEqual({ upstream: 'records', actor: 'cli:ops-jane', revoked: true });
  });

  it('says when the provider cannot revoke, and exits 2 naming the upstreams for an unknown id', async () => {
    await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    const path = configFile();
    const sis = await cli(['upstream', 'disconnect', 'sis', '--config', path]);
    expect(sis).toMatchObject({ code: 0, out: 'disconnected sis; NOT revoked at the provider (provider_has_no_revocation): revoke or regenerate the credentials there' });
    const unknown = await cli(['upstream', 'disconnect', 'crm', '--config', path]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^campus-sts upstream disconnect: no upstream "crm" in the configuration \(configured: sis, records\)/);
  });
});

describe('campus-sts keys rotate-master', () => {
  it('re-seals signing keys and upstream tokens under the new key, a batch per audited transaction', async () => {
    await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    await connectRecords(s);
    const oldId = parseMasterKey(s.env.TEST_MASTER_KEY!).id;
    const newKey = generateMasterKeyText();
    const newId = parseMasterKey(newKey).id;
    const env = { ...s.env, NEW_MASTER_KEY: newKey };
    // Only the new key: what the old one sealed cannot be opened, and the verb says so.
    const without = await cli(['keys', 'rotate-master', '--config', configFile({ master_key: { key_env: 'NEW_MASTER_KEY' } })], env);
    expect(without).toMatchObject({ code: 1, err: `campus-sts keys rotate-master: sealed with master key ${oldId}, which is not configured` });

    const both = configFile({ master_key: { key_env: 'NEW_MASTER_KEY', previous_key_env: 'TEST_MASTER_KEY' } });
    const r = await cli(['keys', 'rotate-master', '--config', both], env);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      `re-sealed 3 value(s) under master key ${newId} (from ${oldId}) in 1 transaction(s)`,
      '  signing_keys: 1',
      '  upstream_connections: 2',
      'the previous key can now be removed from master_key.previous_key_env / previous_key_file',
    ]);
    expect(dataOf(auditOf(s, 'key.rotate_master')[0])).toEqual({ key_id: newId, previous_key_ids: [oldId], resealed: { signing_keys: 1, upstream_connections: 2 } });
    expect(vaultRow(s, 'records')!.keyId).toBe(newId);
    expect(await cli(['keys', 'rotate-master', '--config', both], env)).toMatchObject({ code: 0, out: `everything is already sealed with the current master key ${newId}` });

    // The service runs on the new key alone: tokens still verify, the vaulted tokens still open and work.
    const tokenBefore = await studentToken(s, { aud: ['https://records.campus.test/api'] });
    s.close();
    const next = await startWorldService(up, { dir: s.dir, env: { ...s.env, TEST_MASTER_KEY: newKey } });
    try {
      expect((await viaProxy(next, '/records/students/S1001', tokenBefore)).status).toBe(200);
      expect((await viaProxy(next, '/sis/students/S1001', await studentToken(next))).status).toBe(200);
      expect(await next.audit.verify()).toMatchObject({ ok: true });
    } finally {
      next.close();
    }
  });
});
