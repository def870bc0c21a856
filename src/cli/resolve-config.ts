import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { demoConfig } from '../demo/config.js';
import type { DemoSetup } from '../demo/routes.js';
import type { CliIo } from './io.js';

/** The demo's data folder (CAMPUS_STS_DATA, default ./data). */
export const demoDataDir = (env: NodeJS.ProcessEnv): string => env.CAMPUS_STS_DATA ?? './data';

/** The config file a verb works on: `--config FILE`, else CAMPUS_STS_CONFIG; none means the demo's. */
const configFile = (configPath: string | undefined, env: NodeJS.ProcessEnv): string | undefined => configPath ?? env.CAMPUS_STS_CONFIG;

/** Whether a verb given `configPath` runs on the demo's config. */
export const isDemo = (configPath: string | undefined, env: NodeJS.ProcessEnv): boolean => !configFile(configPath, env);

/**
 * The config a verb works on: `--config FILE`, else CAMPUS_STS_CONFIG, else the demo's (then with `demo`: its IdP
 * and survey page, which `serve` mounts). PORT/HOST override.
 */
export async function resolveConfig(configPath: string | undefined, io: CliIo): Promise<{ config: Config; source: string; demo?: DemoSetup }> {
  const path = configFile(configPath, io.env);
  const port = io.env.PORT ? Number(io.env.PORT) : undefined;
  const host = io.env.HOST || undefined;
  if (path) {
    const config = withDatabaseUrl(loadConfigFile(path), io.env);
    if (port !== undefined) config.server.port = port;
    if (host) config.server.host = host;
    return { config, source: path };
  }
  const { config, demo } = await demoConfig({ dataDir: demoDataDir(io.env), host: host ?? '127.0.0.1', port: port ?? 8787, env: io.env });
  return { config: withDatabaseUrl(config, io.env), source: 'demo', demo };
}

/** CAMPUS_STS_DATABASE_URL wins over `database.url` (and so puts the demo on PostgreSQL). */
function withDatabaseUrl(config: Config, env: NodeJS.ProcessEnv): Config {
  const url = env.CAMPUS_STS_DATABASE_URL;
  if (!url) return config;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('CAMPUS_STS_DATABASE_URL', ['expected a postgres:// URL']);
  return { ...config, database: { ...config.database, url } };
}
