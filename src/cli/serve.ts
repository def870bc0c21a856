import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { composeService } from '../compose/service.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { DEMO_AUDIENCES, DEMO_CLIENT } from '../demo/config.js';
import { demoRoutes } from '../demo/routes.js';
import type { Config } from '../config/schema.js';
import type { Service } from '../compose/service.js';
import type { DemoSetup } from '../demo/routes.js';
import { listen } from '../http/listen.js';
import type { CliIo } from './io.js';
import { demoDataDir, isDemo, resolveConfig } from './resolve-config.js';
import { describeStartupFailure, noteConfigFiles, startupLedger } from './startup.js';

/**
 * `campus-sts serve [--config FILE]`: the service. Without a config (and without CAMPUS_STS_CONFIG) it runs the
 * demo on 127.0.0.1:8787. Stops gracefully on SIGINT/SIGTERM: in-flight requests finish, then the database closes.
 */
/** How long in-flight requests get to finish after SIGTERM before their connections are closed. */
const SHUTDOWN_GRACE_MS = 20_000;

export async function serveCommand(configPath: string | undefined, io: CliIo): Promise<number> {
  // A failed start removes what it created (see StartupLedger); the demo owns its data folder.
  const ledger = startupLedger();
  if (isDemo(configPath, io.env)) ledger.folder(demoDataDir(io.env));
  let config: Config | undefined;
  let service: Service | undefined;
  let server: Server;
  let bound: number;
  let demo: DemoSetup | undefined;
  let logger: Logger;
  try {
    const resolved = await resolveConfig(configPath, io);
    ({ config, demo } = resolved);
    noteConfigFiles(ledger, config);
    logger = createLogger(config.logging.level);
    const extraRoutes = demo ? demoRoutes(demo, { clock: systemClock }) : [];
    service = await composeService({ config, configSource: resolved.source, env: io.env, clock: systemClock, logger, extraRoutes });
    ({ server, port: bound } = await listen(service.app.fetch, config.server, service.shedEarly));
  } catch (err) {
    service?.close();
    ledger.rollback();
    throw (config && describeStartupFailure(err, config)) || err;
  }
  io.out(`campus-sts listening on http://${config.server.host}:${bound} (issuer ${service.issuer})`);
  if (demo) {
    io.out(`demo mode: client "${DEMO_CLIENT.id}" / secret "${DEMO_CLIENT.secret}" (demo only), audiences ${Object.values(DEMO_AUDIENCES).join(', ')}`);
    io.out(`demo survey launch: ${demo.survey.launchUrl} (sign in at the demo IdP by picking a persona)`);
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      const conns = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      // Idle keep-alive sockets would hold close() open; in-flight requests still complete. A connection whose
      // request finishes later turns idle then: sweep again until everything is closed (not only at SIGTERM).
      const sweep = setInterval(() => conns.closeIdleConnections?.(), 100);
      server.close(() => {
        clearInterval(sweep);
        void service.close().finally(() => resolve(0));
      });
      conns.closeIdleConnections?.();
      // A client that never finishes its request must not hold the shutdown forever (orchestrators SIGKILL
      // after their own grace period, typically 30 s; this ends the stragglers first, so the database still
      // closes cleanly).
      setTimeout(() => conns.closeAllConnections?.(), SHUTDOWN_GRACE_MS).unref();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
