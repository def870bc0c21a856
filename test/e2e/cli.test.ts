import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSecretHash, verifyClientSecret } from '../../src/clients/secret-hash.js';
import { runCli } from '../../src/cli/main.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { captureCli } from '../helpers/cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-cli-'));
  env = { CAMPUS_STS_MASTER_KEY: generateMasterKeyText(), SIS_SECRET: 's3cret' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], e = env) => captureCli((io) => runCli(args, io), e);

function config(body: string): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, body);
  return path;
}

const VALID = (dbPath: string) => `
issuer: https://sts.example.edu
database: { path: ${dbPath} }
audiences:
  - { id: https://sis.example.edu, scopes: [student.read] }
clients:
  - id: sis-backend
    auth: { method: client_secret_basic, secret_env: SIS_SECRET }
    audiences: [https://sis.example.edu]
    scopes: [student.read]
`;

describe('campus-sts config check', () => {
  it('accepts the shipped example configuration', async () => {
    const r = await cli(['config', 'check', 'campus-sts.example.yaml']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^campus-sts\.example\.yaml: valid \(\d+ clients, \d+ audiences\)$/);
  });

  const broken: [string, string, string[]][] = [
    ['a scope with a space', VALID('x.sqlite').replace('scopes: [student.read]\n`', '').concat('  - id: two\n    auth: { method: client_secret_post, secret_env: SIS_SECRET }\n    audiences: [https://sis.example.edu]\n    scopes: ["bad scope"]\n'),
      ['clients[1].scopes[0]: expected a scope token (RFC 6749 §3.3: printable ASCII, no space, quote or backslash)']],
    ['a misspelt option', VALID('x.sqlite').replace('issuer:', 'isuer: x\nissuer:'), ['(root): Unrecognized key: "isuer"']],
    ['an inline secret', VALID('x.sqlite').replace('secret_env: SIS_SECRET', 'secret: hunter2'), ['clients[0].auth: Unrecognized key: "secret"', 'clients[0].auth: expected exactly one of secret_hash, secret_env or secret_file']],
    ['an undeclared audience', VALID('x.sqlite').replace('audiences: [https://sis.example.edu]', 'audiences: [https://other.example.edu]'),
      ['clients[0].audiences[0]: unknown audience "https://other.example.edu" (declare it under audiences)', 'clients[0].scopes[0]: scope "student.read" is not allowed by any of this client\'s audiences']],
    ['http outside localhost', VALID('x.sqlite').replace('https://sts.example.edu', 'http://sts.example.edu'), ['issuer: must use https outside localhost (RFC 8414 §2)']],
    ['a YAML syntax error', 'issuer: [unclosed', ['YAML']],
    ['a duplicate key', VALID('x.sqlite') + 'issuer: https://again.example.edu\n', ['YAML DUPLICATE_KEY']],
  ];
  for (const [name, body, messages] of broken) {
    it(`refuses ${name}, naming the path`, async () => {
      const path = config(body);
      const r = await cli(['config', 'check', path]);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toBe(`campus-sts config check: ${path}: invalid configuration`);
      for (const m of messages) expect(r.err).toContain(m);
    });
  }

  it('refuses a missing file clearly', async () => {
    const r = await cli(['config', 'check', join(dir, 'nope.yaml')]);
    expect(r).toMatchObject({ code: 1, err: `campus-sts config check: ${join(dir, 'nope.yaml')}: invalid configuration\n  - cannot read the file (ENOENT)` });
  });
});

describe('campus-sts keys rotate and audit verify', () => {
  it('rotates the signing key and the audit chain stays intact', async () => {
    const path = config(VALID(join(dir, 'db', 'sts.sqlite')));
    const first = await cli(['keys', 'rotate', '--config', path]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^new signing key [\w-]{43} \(ES256\) is active$/);
    const second = await cli(['keys', 'rotate', '--config', path]);
    expect(second.out).toMatch(/^new signing key [\w-]{43} \(ES256\) is active\nretired key [\w-]{43} stays published for 335 s$/);
    const verify = await cli(['audit', 'verify', '--config', path]);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/^audit chain intact: 2 rows, up to row 2, head [0-9a-f]{64}$/);
  });

  it('names a missing master key without printing any secret', async () => {
    const path = config(VALID(join(dir, 'sts.sqlite')));
    const r = await cli(['keys', 'rotate', '--config', path], { SIS_SECRET: 's3cret' });
    expect(r).toMatchObject({ code: 1, err: 'campus-sts keys rotate: environment: invalid configuration\n  - master_key: environment variable CAMPUS_STS_MASTER_KEY is not set' });
  });

  it('refuses a malformed master key', async () => {
    const path = config(VALID(join(dir, 'sts.sqlite')));
    const r = await cli(['audit', 'verify', '--config', path], { CAMPUS_STS_MASTER_KEY: 'short' });
    expect(r).toMatchObject({ code: 1, err: 'campus-sts audit verify: the master key must be 32 random bytes, base64-encoded (openssl rand -base64 32)' });
  });

  it('explains an unusable database path instead of a stack trace', async () => {
    const path = config(VALID('/etc/hostname/sts.sqlite'));
    const r = await cli(['audit', 'verify', '--config', path]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^campus-sts audit verify: cannot open the database at \/etc\/hostname\/sts\.sqlite: .*\(is the folder writable\?\)$/);
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const db = join(dir, 'sts.sqlite');
    const path = config(VALID(db));
    expect((await cli(['audit', 'verify', '--config', path])).code).toBe(0);
    const raw = new Database(db);
    raw.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', Date.parse('2099-01-01'));
    raw.close();
    const r = await cli(['audit', 'verify', '--config', path]);
    expect(r).toMatchObject({
      code: 1,
      err: 'campus-sts audit verify: the database schema is newer than this campus-sts (migration of 2099-01-01T00:00:00.000Z); run the campus-sts version that wrote it, or a newer one',
    });
  });
});

describe('campus-sts client hash-secret', () => {
  it('prints an scrypt hash that verifies the secret', async () => {
    const r = await cli(['client', 'hash-secret', '--secret-env', 'SIS_SECRET']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyClientSecret('s3cret', parseSecretHash(r.out))).toBe(true);
    expect(await verifyClientSecret('s3cret!', parseSecretHash(r.out))).toBe(false);
  });
});

describe('usage', () => {
  it.each([['serve'], ['config', 'check'], ['keys', 'rotate'], ['audit', 'verify'], ['client', 'hash-secret']])('%s %s --help', async (...verb) => {
    const r = await cli([...verb.filter(Boolean), '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^campus-sts ${verb.filter(Boolean).join(' ')}`));
  });

  it('exits 2 with the usage for an unknown command or wrong arguments', async () => {
    expect(await cli(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "frobnicate"') });
    expect(await cli(['config', 'check'])).toMatchObject({ code: 2, err: expect.stringContaining('expected 1 argument(s), got 0') });
    expect(await cli(['keys', 'rotate', '--bogus'])).toMatchObject({ code: 2, err: expect.stringContaining("Unknown option '--bogus'") });
    expect(await cli([])).toMatchObject({ code: 2, err: expect.stringContaining('usage: campus-sts <command>') });
  });

  it('the demo refuses NODE_ENV=production', async () => {
    const r = await cli(['serve'], { NODE_ENV: 'production', CAMPUS_STS_DATA: dir });
    expect(r).toMatchObject({
      code: 1,
      err: 'campus-sts serve: the demo (no --config) refuses to run with NODE_ENV=production: give a configuration file with --config or CAMPUS_STS_CONFIG',
    });
  });
});
