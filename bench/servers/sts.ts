// campus-sts itself, composed exactly as `campus-sts serve` composes it (src/cli/serve.ts): the real config
// parser, the real SQLite file in WAL mode (or PostgreSQL with `postgres`), the system clock, pino at the shipped
// level on stdout (the harness sends a child's stdout to /dev/null, so log lines cost what a write to a pipe or
// file costs).
import { join } from 'node:path';
import { composeService } from '../../src/compose/service.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { listen } from '../../src/http/listen.js';
import type { BenchServer } from '../harness/protocol.js';
import { listenLocal } from './listen.js';
import { AUD, CLIENT, SAML, SCOPES, UPSTREAM } from './shared.js';

export interface StsOptions {
  /** This server's own folder (its SQLite file). */
  dir: string;
  /** SQLite only; on PostgreSQL every commit waits for its WAL flush (synchronous_commit on, harness/postgres.ts). */
  synchronous: 'normal' | 'full';
  /** PostgreSQL instead of the SQLite file: the run's bench database and this server's schema. */
  postgres?: { url: string; schema: string };
  /**
   * Instances sharing one database share the key that seals its signing keys; absent: a fresh key. A throwaway
   * key for a throwaway database: it travels in the child's argv with the other options.
   */
  masterKey?: string;
  /** Shared by every campus-sts child of a run: the SP key pairs are generated once. */
  spKeysDir: string;
  idpMetadataFile: string;
  /** The upstream API to proxy (proxy scenario only). */
  upstreamUrl?: string;
  /** The config's `server` section (the abuse and overload scenarios set throttling and admission). */
  server?: Record<string, unknown>;
}

const ENV = { master: 'BENCH_MASTER_KEY', secret: 'BENCH_CLIENT_SECRET', upstream: 'BENCH_UPSTREAM_SECRET' } as const;

/**
 * A production-shaped config: one client, two audiences, one Shibboleth-like IdP, one survey; with
 * `upstreamUrl`, also one upstream API (client_credentials) with one proxied GET route.
 */
export function benchConfig(o: StsOptions): Config {
  const upstream = o.upstreamUrl
    ? {
        upstreams: [
          {
            id: UPSTREAM.id,
            audience: UPSTREAM.audience,
            provider: 'generic-oauth2',
            grant: 'client_credentials',
            api_base_url: `${o.upstreamUrl}/api`,
            token_url: `${o.upstreamUrl}/oauth/token`,
            client_id: UPSTREAM.clientId,
            client_secret_env: ENV.upstream,
            routes: [{ id: 'courses', method: 'GET', path: '/courses', scope: UPSTREAM.scope }],
          },
        ],
      }
    : {};
  const audiences = [AUD.sis, AUD.reports, ...(o.upstreamUrl ? [UPSTREAM.audience] : [])];
  return parseConfig({
    issuer: 'http://127.0.0.1:8787',
    database: { path: join(o.dir, 'sts.sqlite'), synchronous: o.synchronous, ...(o.postgres ?? {}) },
    ...(o.server ? { server: o.server } : {}),
    master_key: { key_env: ENV.master },
    audiences: [
      { id: AUD.sis, scopes: [...SCOPES.sis] },
      { id: AUD.reports, scopes: [...SCOPES.reports], max_ttl_seconds: 120 },
      ...(o.upstreamUrl ? [{ id: UPSTREAM.audience, scopes: [UPSTREAM.scope] }] : []),
    ],
    clients: [
      {
        id: CLIENT.id,
        auth: { method: 'client_secret_basic', secret_env: ENV.secret },
        audiences,
        scopes: [...SCOPES.sis, ...(o.upstreamUrl ? [UPSTREAM.scope] : [])],
      },
    ],
    // A pending login may wait an hour: the harness creates a round's logins before driving the ACS.
    saml: { keys_dir: o.spKeysDir, login_ttl_seconds: 3600 },
    idps: [{ id: SAML.idpId, metadata: { file: o.idpMetadataFile }, signed: 'response', subject: { source: 'pairwise-id' } }],
    surveys: [
      {
        id: SAML.survey,
        url: SAML.surveyUrl,
        audience: AUD.sis,
        scopes: ['student.read'],
        require: { affiliation: ['student'] },
        release: ['displayName', 'affiliation'],
      },
    ],
    ...upstream,
  });
}

export async function startSts(o: StsOptions): Promise<BenchServer> {
  const config = benchConfig(o);
  const env = { [ENV.master]: o.masterKey ?? generateMasterKeyText(), [ENV.secret]: CLIENT.secret, [ENV.upstream]: UPSTREAM.clientSecret };
  const service = await composeService({ config, configSource: 'bench', env, clock: systemClock, logger: createLogger(config.logging.level) });
  // The listener `campus-sts serve` uses (its deadlines, connection cap and admission's early refusal).
  const { server } = await listen(service.app.fetch, { ...config.server, host: '127.0.0.1', port: 0 }, service.shedEarly);
  const { port, close } = await listenLocal(server);
  return {
    port,
    info: { database: o.postgres ? `PostgreSQL schema ${o.postgres.schema}` : config.database.path },
    async close() {
      await close();
      await service.close();
    },
  };
}
