import type { Hono } from 'hono';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { readSecret } from '../config/secrets.js';
import type { Clock } from '../core/clock.js';
import type { MasterKeyring } from '../core/sealed-box.js';
import type { AppEnv } from '../http/env.js';
import type { VerifyDeps } from '../tokens/verify.js';
import { seedRef, upstreamAudience } from '../config/upstream.js';
import { createConnectService } from '../upstream/connect.js';
import { combineAdminGates, createAdminTokenGate, type AdminGate } from '../upstream/http/admin-gate.js';
import { connectRoutes, type ConnectRoutesDeps } from '../upstream/http/connect-routes.js';
import { proxyRoutes } from '../upstream/http/proxy-routes.js';
import type { FetchFn, UpstreamObserver } from '../upstream/provider.js';
import { createProvider } from '../upstream/providers/index.js';
import { createUpstreamDispatcher } from '../upstream/forward.js';
import { compileRoutes, createProxy, type ProxyUpstream } from '../upstream/proxy.js';
import { createUpstreamRelease, type UpstreamRelease } from '../upstream/release.js';
import type { UpstreamAuthStateStore } from '../upstream/auth-states.js';
import type { ConnectionStore } from '../upstream/vault-store.js';
import { createVault, type UpstreamEntry, type Vault } from '../upstream/vault.js';

export interface UpstreamVaultDeps {
  config: Config;
  env: NodeJS.ProcessEnv;
  audit: AuditLog;
  clock: Clock;
  keyring: MasterKeyring;
  connections: ConnectionStore;
  fetch?: FetchFn;
  /** Import changed seeded credentials (default true; the CLI's disconnect does not). */
  importSeeds?: boolean;
  /** The service's metrics (call latency by upstream and status, refreshes by outcome). */
  observer?: UpstreamObserver | undefined;
}

/**
 * The providers (secrets read once, here) and the vault over them. Used by the service and by the CLI verbs
 * (`upstream status`, `upstream disconnect`). Seeded credentials are imported when they changed.
 */
export async function buildUpstreamVault(deps: UpstreamVaultDeps): Promise<{ vault: Vault; entries: ReadonlyMap<string, UpstreamEntry> }> {
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const entries = new Map<string, UpstreamEntry>();
  deps.config.upstreams.forEach((cfg, i) => {
    const clientSecret = cfg.grant === 'static' ? undefined : readSecret({ env: cfg.client_secret_env, file: cfg.client_secret_file }, `upstreams[${i}].client_secret`, deps.env);
    entries.set(cfg.id, { config: cfg, provider: createProvider(cfg, { fetch: fetchFn, clientSecret }) });
  });
  const vault = createVault({ audit: deps.audit, clock: deps.clock, store: deps.connections, upstreams: entries, observer: deps.observer });
  if (deps.importSeeds !== false) {
    for (const [i, cfg] of deps.config.upstreams.entries()) {
      const ref = seedRef(cfg);
      if (ref) await vault.importSeed(cfg.id, readSecret(ref, `upstreams[${i}].${cfg.grant === 'static' ? 'access_token' : 'refresh_token'}`, deps.env));
    }
  }
  return { vault, entries };
}

export interface UpstreamModule {
  routes: Hono<AppEnv>[];
  /** For the token-exchange grant; undefined when no client may receive upstream tokens. */
  release: UpstreamRelease | undefined;
  vault: Vault | undefined;
  /** Closes the connections to the upstream APIs (service shutdown). */
  close(): void;
}

/**
 * Wires the upstream feature into the service: the proxy at `/upstreams/{id}/…`, the admin connect flow at
 * `/admin/upstreams/{id}/…` (gated by console sessions, and by the `upstream_admin` token when configured), and
 * token release for the exchange grant. With no upstream configured it adds nothing.
 */
export async function composeUpstreams(
  deps: UpstreamVaultDeps & {
    verify: VerifyDeps;
    issuer: string;
    maxBodyBytes: number;
    /** Admin console sessions with role `admin`: how people connect and disconnect accounts; and how the console answers its refusals. */
    console: { gate: AdminGate; answerRefusal: ConnectRoutesDeps['answerConsoleRefusal'] };
    authStates: UpstreamAuthStateStore;
  },
): Promise<UpstreamModule> {
  if (deps.config.upstreams.length === 0) return { routes: [], release: undefined, vault: undefined, close: () => undefined };
  const { vault, entries } = await buildUpstreamVault(deps);
  const proxied = new Map<string, ProxyUpstream>([...entries].map(([id, e]) => [id, { ...e, audience: upstreamAudience(e.config), routes: compileRoutes(e.config.routes) }]));
  const dispatcher = createUpstreamDispatcher();
  const handle = createProxy({ upstreams: proxied, vault, verify: deps.verify, audit: deps.audit, dispatcher, maxBodyBytes: deps.maxBodyBytes, observer: deps.observer });
  const cors = new Map(deps.config.upstreams.map((u) => [u.id, { origins: new Set(u.cors_origins), methods: [...new Set(u.routes.map((r) => r.method))] }]));
  // Console sessions first; the shared token only when `upstream_admin` is configured (an automation credential).
  const admin = deps.config.upstream_admin;
  const token = createAdminTokenGate(admin ? readSecret({ env: admin.token_env, file: admin.token_file }, 'upstream_admin', deps.env) : undefined);
  const gate = combineAdminGates(deps.console.gate, token);
  const connect = createConnectService({ audit: deps.audit, clock: deps.clock, keyring: deps.keyring, states: deps.authStates, vault, upstreams: entries, issuer: deps.issuer });
  const releasing = deps.config.clients.some((c) => c.upstream_token_release.length > 0);
  return {
    routes: [
      proxyRoutes({ handle, cors }),
      connectRoutes({
        connect,
        gate,
        answerConsoleRefusal: deps.console.answerRefusal,
        vault,
        audit: deps.audit,
        names: new Map(deps.config.upstreams.map((u) => [u.id, u.name ?? u.id])),
        secureCookies: deps.issuer.startsWith('https:'),
      }),
    ],
    release: releasing ? createUpstreamRelease({ vault, clock: deps.clock }) : undefined,
    vault,
    close: () => void dispatcher.destroy(),
  };
}
