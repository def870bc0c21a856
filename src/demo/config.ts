import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashClientSecret } from '../clients/secret-hash.js';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { generateMasterKeyText } from '../crypto/sealed-box.js';

export const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-secret' } as const;

export const DEMO_AUDIENCES = {
  sis: 'https://sis.demo.campus-sts.test',
  reports: 'https://reports.demo.campus-sts.test',
} as const;

export class DemoRefused extends Error {}

/**
 * The embedded demo: SQLite and a generated master key under `dataDir`, and one confidential client with a
 * well-known secret. It refuses to run in production, where a published secret would be a hole.
 */
export async function demoConfig(opts: { dataDir: string; host: string; port: number; env: NodeJS.ProcessEnv }): Promise<Config> {
  if (opts.env.NODE_ENV === 'production') {
    throw new DemoRefused('the demo (no --config) refuses to run with NODE_ENV=production: give a configuration file with --config or CAMPUS_STS_CONFIG');
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const keyFile = join(opts.dataDir, 'master.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, generateMasterKeyText() + '\n', { mode: 0o600, flag: 'wx' });
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return parseConfig(
    {
      issuer: `http://${shownHost}:${opts.port}`,
      server: { host: opts.host, port: opts.port },
      database: { path: join(opts.dataDir, 'campus-sts.sqlite') },
      master_key: { key_file: keyFile },
      audiences: [
        { id: DEMO_AUDIENCES.sis, name: 'Demo student-information system', scopes: ['student.read', 'enrollment.read', 'grades.read'] },
        { id: DEMO_AUDIENCES.reports, name: 'Demo reporting service', scopes: ['student.read', 'enrollment.read'] },
      ],
      clients: [
        {
          id: DEMO_CLIENT.id,
          name: 'Demo confidential client',
          auth: { method: 'client_secret_basic', secret_hash: await hashClientSecret(DEMO_CLIENT.secret) },
          audiences: [DEMO_AUDIENCES.sis, DEMO_AUDIENCES.reports],
          scopes: ['student.read', 'enrollment.read', 'grades.read'],
        },
      ],
    },
    'demo',
  );
}
