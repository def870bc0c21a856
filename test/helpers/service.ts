import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { desc } from 'drizzle-orm';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { composeService, type Service } from '../../src/compose/service.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { fixedClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit-log.js';

export const ISSUER = 'http://127.0.0.1:8787';
export const AUD = { sis: 'https://sis.example.edu', reports: 'https://reports.example.edu', other: 'urn:example:other' } as const;
export const SECRETS = { alpha: 'alpha-secret-Ω', beta: 'beta-secret' } as const;
/** The clock every test service starts at. */
export const T0 = '2026-11-23T10:00:00.000Z';

/** A config with one client per authentication method; `overrides` patch the top level. */
export function testConfig(dir: string, gammaJwks: { keys: JWK[] }, overrides: Record<string, unknown> = {}): Config {
  return parseConfig({
    issuer: ISSUER,
    database: { path: join(dir, 'sts.sqlite') },
    master_key: { key_env: 'TEST_MASTER_KEY' },
    audiences: [
      { id: AUD.sis, scopes: ['student.read', 'enrollment.read', 'grades.read'] },
      { id: AUD.reports, scopes: ['student.read', 'enrollment.read'], max_ttl_seconds: 120 },
      { id: AUD.other, scopes: ['other.read'] },
      // Client ids as audiences: a token issued *for* that client (it may introspect, revoke and exchange it).
      { id: 'alpha', scopes: ['student.read'] },
      { id: 'beta', scopes: ['student.read'] },
    ],
    clients: [
      { id: 'alpha', auth: { method: 'client_secret_basic', secret_env: 'ALPHA_SECRET' }, audiences: [AUD.sis, AUD.reports, 'beta'], scopes: ['student.read', 'enrollment.read', 'grades.read'] },
      { id: 'beta', auth: { method: 'client_secret_post', secret_env: 'BETA_SECRET' }, audiences: [AUD.reports], scopes: ['student.read', 'enrollment.read'] },
      { id: 'gamma', auth: { method: 'private_key_jwt', jwks: gammaJwks }, audiences: [AUD.sis, AUD.other, 'alpha'], scopes: ['student.read', 'other.read'], may_act: { sub: 'alpha' } },
      { id: 'delta', auth: { method: 'client_secret_basic', secret_env: 'BETA_SECRET' }, audiences: [AUD.other], scopes: ['other.read'], grant_types: ['client_credentials'] },
    ],
    ...overrides,
  });
}

export interface TestService extends Service {
  dir: string;
  config: Config;
  clock: ReturnType<typeof fixedClock>;
  env: NodeJS.ProcessEnv;
  gammaKey: CryptoKey;
  logs: string[];
  /** POSTs a form; `auth` is [id, secret] for HTTP Basic. */
  post(path: string, form: Record<string, string | string[]>, auth?: [string, string], headers?: Record<string, string>): Promise<Response>;
  auditRows(): AuditRow[];
  lastAudit(): AuditRow;
  restart(): Promise<TestService>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  overrides?: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
  dir?: string;
  env?: NodeJS.ProcessEnv;
  startAt?: Date | string;
  gamma?: { key: CryptoKey; jwks: { keys: JWK[] } };
  /** Run on PostgreSQL instead of a SQLite file: `createTestSchema()` from src/db/pg/harness.contract.ts. */
  postgres?: { url: string; schema: string };
}

/** The environment a test service reads its secrets from: a fresh master key and the test clients' secrets. */
export const defaultTestEnv = (): NodeJS.ProcessEnv => ({ TEST_MASTER_KEY: generateMasterKeyText(), ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta });

/** A real service on a real SQLite file in a temp folder (or on PostgreSQL), with a fixed clock and captured logs. */
export async function startTestService(opts: TestServiceOptions = {}): Promise<TestService> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'campus-sts-test-'));
  const gamma = opts.gamma ?? (await newClientKey());
  const env = opts.env ?? defaultTestEnv();
  const overrides = typeof opts.overrides === 'function' ? opts.overrides(dir) : opts.overrides;
  // On PostgreSQL (a schema of this run's database, shared by the instances of a multi-instance test).
  const database = opts.postgres ? { database: { path: join(dir, 'sts.sqlite'), url: opts.postgres.url, schema: opts.postgres.schema, pool_size: 4 } } : {};
  const config = testConfig(dir, gamma.jwks, { ...database, ...overrides });
  const clock = fixedClock(opts.startAt ?? T0);
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
  const service = await composeService({ config, configSource: 'test', env, clock, logger: createLogger('debug', sink) });
  const extras: Omit<TestService, keyof Service> = {
    dir,
    config,
    clock,
    env,
    gammaKey: gamma.key,
    logs,
    post(path, form, auth, headers = {}) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
      const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
      if (auth) h.authorization = basic(auth[0], auth[1]);
      return Promise.resolve(service.app.request(path, { method: 'POST', headers: h, body: body.toString() }));
    },
    auditRows: () => service.sqlite.db.select().from(auditLog).all(),
    lastAudit: () => service.sqlite.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1).get()!,
    async restart() {
      await service.close();
      return startTestService({ ...opts, dir, env, gamma });
    },
    async stop() {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Descriptors, not a spread: `sqlite` is a getter that a PostgreSQL-backed service refuses.
  return Object.defineProperties(extras, Object.getOwnPropertyDescriptors(service)) as TestService;
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

export async function newClientKey(): Promise<{ key: CryptoKey; jwks: { keys: JWK[] } }> {
  const pair = await generateKeyPair('ES256');
  return { key: pair.privateKey, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'gamma-1', alg: 'ES256', use: 'sig' }] } };
}

/** A client_credentials token for alpha (all scopes, audience sis) — the usual first subject token. */
export async function alphaToken(s: TestService, form: Record<string, string> = {}): Promise<string> {
  const res = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.sis, ...form }, ['alpha', SECRETS.alpha]);
  if (res.status !== 200) throw new Error(`alpha token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const AT_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
