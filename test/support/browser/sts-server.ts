// A real campus-sts HTTP server for browser tests, built as `campus-sts serve` builds it (composeService +
// @hono/node-server), on 127.0.0.1 but named http://localhost:PORT: a browser then treats it as another site than
// an IdP on http://127.0.0.1:PORT2 (cookies ignore ports), as production does.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { composeService, type Service } from '../../../src/compose/service.js';
import { parseConfig } from '../../../src/config/load.js';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { generateMasterKeyText } from '../../../src/core/sealed-box.js';
import { freePort } from './ports.js';

export interface StsServer {
  /** http://localhost:PORT, the issuer. */
  issuer: string;
  service: Service;
  /** Closes the server (dropping open connections), the database, and removes the data folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * `configure(issuer, dir)` returns the config (beyond issuer, database and master key) for this server. `clock`:
 * the wall clock unless a test moves it (the IdP keeps the wall clock).
 */
export async function startStsServer(configure: (issuer: string, dir: string) => Record<string, unknown>, clock: Clock = systemClock): Promise<StsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-browser-'));
  try {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const config = parseConfig({
      issuer,
      server: { host: '127.0.0.1', port },
      database: { path: join(dir, 'sts.sqlite') },
      master_key: { key_env: 'BROWSER_TEST_MASTER_KEY' },
      ...configure(issuer, dir),
    });
    const env = { BROWSER_TEST_MASTER_KEY: generateMasterKeyText() };
    const service = await composeService({ config, configSource: 'browser-test', env, clock, logger: createLogger('silent') });
    const server = serve({ fetch: service.app.fetch, hostname: '127.0.0.1', port }) as Server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(async () => {
        await service.close();
        rmSync(dir, { recursive: true, force: true });
      }));
    return { issuer, service, stop };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
