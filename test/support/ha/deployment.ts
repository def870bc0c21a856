// The reference deployment on one machine, for HA tests: N real `campus-sts serve` processes (one config file, one
// PostgreSQL schema, one master key) behind HAProxy running deploy/haproxy.cfg. Each instance keeps its port across
// restarts (HAProxy's server lines name it), so a killed instance can be started again in place.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../../src/config/schema.js';
import { generateMasterKeyText } from '../../../src/core/sealed-box.js';
import { startServeProcess, type ServeProcess } from '../../helpers/cli.js';
import { newClientKey, SECRETS, testConfig } from '../../helpers/service.js';
import { startHaproxy, type Balancer } from '../balancer/haproxy.js';
import { freePort } from '../browser/ports.js';

export interface StsInstance {
  /** Its server name in HAProxy. */
  readonly name: string;
  /** http://127.0.0.1:PORT: the instance itself, bypassing the balancer. */
  readonly url: string;
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no drain; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait (a no-op when it is not running). */
  stop(): Promise<void>;
  /** Everything it printed, across restarts. */
  output(): string;
}

function stsInstance(name: string, port: number, configFile: string, env: NodeJS.ProcessEnv): StsInstance {
  let proc: ServeProcess | undefined;
  let printed = '';
  const alive = () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  const settle = () => {
    printed += proc?.output() ?? '';
    proc = undefined;
  };
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    async start() {
      proc = await startServeProcess(configFile, { ...env, PORT: String(port) });
    },
    async kill9() {
      if (!alive()) return;
      const gone = new Promise((resolve) => proc!.child.once('exit', resolve));
      proc!.child.kill('SIGKILL');
      await gone;
      settle();
    },
    async stop() {
      if (alive()) await proc!.stop();
      settle();
    },
    output: () => printed + (proc?.output() ?? ''),
  };
}

export interface HaDeployment {
  /** The public URL: the balancer's. */
  issuer: string;
  balancer: Balancer;
  instances: StsInstance[];
  config: Config;
  configFile: string;
  /** The environment every instance (and a CLI verb on the same database) runs with. */
  env: NodeJS.ProcessEnv;
  gammaKey: CryptoKey;
  stop(): Promise<void>;
}

export interface HaOptions {
  postgres: { url: string; schema: string };
  /** The public host name: `localhost` for browser tests (another site than an IdP on 127.0.0.1). */
  host?: 'localhost' | '127.0.0.1';
  instances?: number;
  /** Top-level config entries beyond issuer, database and server (see testConfig). */
  overrides?: (issuer: string, dir: string) => Record<string, unknown>;
  /** server.* beyond trusted_proxies. */
  server?: Record<string, unknown>;
}

/** Starts the instances together (they migrate once, under PostgreSQL's advisory lock), then the balancer. */
export async function startHaDeployment(opts: HaOptions): Promise<HaDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-ha-'));
  const instances: StsInstance[] = [];
  let balancer: Balancer | undefined;
  const stop = async () => {
    await Promise.allSettled([...instances.map((i) => i.stop()), balancer?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await Promise.all(Array.from({ length: (opts.instances ?? 2) + 1 }, () => freePort()));
    const publicPort = ports.pop()!;
    const issuer = `http://${opts.host ?? '127.0.0.1'}:${publicPort}`;
    const gamma = await newClientKey();
    const env = { TEST_MASTER_KEY: generateMasterKeyText(), ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta };
    const config = testConfig(dir, gamma.jwks, {
      issuer,
      database: { url: opts.postgres.url, schema: opts.postgres.schema, pool_size: 6, connect_timeout_ms: 1000, statement_timeout_ms: 2000 },
      // Only the balancer (on 127.0.0.1) may say where a request came from.
      server: { trusted_proxies: ['127.0.0.1/32'], ...opts.server },
      logging: { level: 'warn' },
      ...opts.overrides?.(issuer, dir),
    });
    const configFile = join(dir, 'campus-sts.yaml');
    writeFileSync(configFile, stringify(config));
    instances.push(...ports.map((port, i) => stsInstance(`sts${i + 1}`, port, configFile, env)));
    await Promise.all(instances.map((i) => i.start()));
    balancer = await startHaproxy(instances.map((inst, i) => ({ name: inst.name, port: ports[i]! })), publicPort);
    await balancer.waitFor('UP', instances.map((i) => i.name));
    return { issuer, balancer, instances, config, configFile, env, gammaKey: gamma.key, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
