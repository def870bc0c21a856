import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { createAuditCheckpointStore, type AuditCheckpointStore } from '../audit/checkpoint-store.js';
import type { AuditReader } from '../audit/reader.js';
import { createSqliteAuditReader } from '../audit/reader-sqlite.js';
import { createClientAssertionStore, type ClientAssertionStore } from '../clients/assertion-replay.js';
import { createClientAuthenticator } from '../clients/authenticate.js';
import { createFailureThrottle } from '../clients/failure-throttle.js';
import { createBulkhead, inSlot } from '../core/bulkhead.js';
import { serviceBusy } from '../core/oauth-errors.js';
import { buildClientRegistry } from '../clients/registry.js';
import type { Config } from '../config/schema.js';
import { checkSecrets, readSecret } from '../config/secrets.js';
import type { Clock } from '../core/clock.js';
import { GRANT_TYPES, TOKEN_TYPES } from '../core/constants.js';
import { createKeyring, parseMasterKey } from '../core/sealed-box.js';
import { startCheckpointer } from '../db/checkpointer.js';
import type { AppDatabase } from '../db/client.js';
import { createMasterKeyResealStore, type MasterKeyResealStore } from '../db/sealed-columns.js';
import { createGroupCommitter } from '../db/group-commit.js';
import { createLaunchCodes, type LaunchCodeStore } from '../launch/launch-codes.js';
import { createServiceSecretStore, type ServiceSecretStore } from '../launch/service-secrets.js';
import type { AssertionReplayStore } from '../saml/types.js';
import { createAssertionReplayStore } from '../sso/assertion-replay.js';
import { createPendingLogins, type PendingLoginStore } from '../sso/pending-logins.js';
import { schedulePruning } from '../db/prune-expired.js';
import { composeSso } from './sso.js';
import { staleMetadata } from '../sso/build-service-provider.js';
import { composeAdmin } from './admin.js';
import { createAdminSessionStore, type AdminSessionStore } from '../admin/sessions.js';
import type { AuditObserver } from '../audit/audit-log.js';
import { createMetrics, metricsRoutes } from '../ops/metrics.js';
import { samlRefusalReasonOf } from '../saml/errors.js';
import type { TokenPolicy } from '../grants/policy.js';
import { createOwnTokenHandler } from '../exchange/subject-tokens/own-token.js';
import { createTokenExchangeGrant } from '../grants/token-exchange.js';
import { createSubjectTokenRegistry } from '../grants/subject-tokens.js';
import { createClientCredentialsGrant } from '../grants/client-credentials.js';
import { createGrantRegistry } from '../oauth/grant-port.js';
import type { AppEnv } from '../http/env.js';
import { createAdmission } from '../http/admission.js';
import { createSourceAddress } from '../http/source-address.js';
import { commitAudited } from '../audit/commit.js';
import { endpointUrls } from '../oauth/discovery.js';
import { createIntrospection } from '../oauth/introspection.js';
import { createRevocation } from '../oauth/revocation.js';
import { createTokenEndpoint } from '../oauth/token-endpoint.js';
import { createKeystore, ensureSigningKey } from '../tokens/keystore.js';
import { createRevocations, type RevocationStore } from '../tokens/revocations.js';
import { createSigningKeyStore, type SigningKeyStore } from '../tokens/signing-keys.js';
import { createUpstreamAuthStateStore, type UpstreamAuthStateStore } from '../upstream/auth-states.js';
import { composeUpstreams } from './upstream.js';
import { openStore } from './stores.js';
import { openPairwise, subjectRevocation } from './subject-revocation.js';
export type { Stores } from './stores.js';
export { openStore } from './stores.js';
import { createConnectionStore, type ConnectionStore } from '../upstream/vault-store.js';

export interface ServiceOptions {
  config: Config;
  /** Where the config came from, for the audit row (a path, or "demo"). */
  configSource: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  logger: Logger;
  /** Routers mounted after every built-in one: the demo's IdP and survey page (demo mode only, see `serve`). */
  extraRoutes?: Hono<AppEnv>[];
}

/**
 * The composition root: builds every dependency once from the validated config and passes it in.
 * Nothing here runs per request.
 */
// long: the composition root is one linear wiring sequence; each feature's wiring has its own file.
export async function composeService(opts: ServiceOptions) {
  const { config, clock, logger } = opts;
  const issuer = config.issuer.replace(/\/$/, '');
  const urls = endpointUrls(issuer);
  checkSecrets(config, opts.env);
  const clients = await buildClientRegistry(config, opts.env);
  // This instance's metrics registry, first: the audit writer and the upstreams report into it.
  const metrics = createMetrics({ samlRefusalReason: samlRefusalReasonOf });
  const { keyring, engine, audit, committer, stores, keyDeps } = await openStore(config, opts.env, clock, metrics.audit, onceEach((id) =>
    logger.error({ key_id: id }, 'master key changed: restart with the new key'),
  ));
  const checkpointer = engine.sqlite && !engine.sqlite.sqlite.memory ? startCheckpointer(engine.sqlite.sqlite) : undefined;

  await audit.commit((tx) =>
    audit.append(tx, {
      event: 'config.load',
      outcome: 'success',
      data: {
        source: opts.configSource,
        sha256: createHash('sha256').update(JSON.stringify(config)).digest('hex'),
        clients: config.clients.length,
        audiences: config.audiences.length,
      },
    }),
  );
  await ensureSigningKey(keyDeps, config.signing.algorithm);

  const keystore = createKeystore({ keys: stores.signingKeys, keyring, clock });
  // Opened now, and kept: a running instance goes on signing after `keys rotate-master` re-seals this key under
  // a master key it does not hold; and a wrong master key fails the start, not the first token request.
  await keystore.signingKey();
  const { revocations } = stores;
  const verify = { keystore, revocations, clock, issuer, clockSkewSeconds: config.tokens.clock_skew_seconds };
  const policy: TokenPolicy = {
    audiences: new Map(config.audiences.map((a) => [a.id, { id: a.id, scopes: new Set(a.scopes), maxTtlSeconds: a.max_ttl_seconds }])),
    defaultTtlSeconds: config.tokens.default_ttl_seconds,
    maxTtlSeconds: config.tokens.max_ttl_seconds,
  };
  const minting = { keystore, clock, issuer, policy };
  const pairwise = await openPairwise(config, { serviceSecrets: stores.serviceSecrets, commit: audit.commit, keyring, clock });
  const revokeSubject = subjectRevocation(config, { revocations, audit, clock, pairwise });
  // Before SSO: the ACS completes console sign-ins through `admin.completion`; `admin.requireAdmin(role)` guards admin routes.
  const admin = composeAdmin({ config, audit, clock, issuer, sessionStore: stores.adminSessions, auditReader: stores.auditReader, checkpointStore: stores.auditCheckpoints, signingKeys: () => stores.signingKeys.all(), signingKey: () => keystore.signingKey(), revokeSubject });
  const sso = await composeSso({ config, audit, stores, clock, pairwise, minting, tokenEndpoint: urls.token, completions: [admin.completion] });
  const subjectTokens = createSubjectTokenRegistry([
    createOwnTokenHandler(TOKEN_TYPES.jwt, verify),
    createOwnTokenHandler(TOKEN_TYPES.accessToken, verify),
    ...sso.subjectTokens,
  ]);
  const upstreams = await composeUpstreams({ config, env: opts.env, audit, clock, keyring, connections: stores.upstreamConnections, authStates: stores.upstreamAuthStates, verify, issuer, maxBodyBytes: config.server.max_body_bytes, observer: metrics.upstream, console: admin.upstreamConsole });
  const grants = createGrantRegistry([
    createClientCredentialsGrant(minting),
    createTokenExchangeGrant({ ...minting, subjectTokens, upstreamRelease: upstreams.release }),
    ...sso.grants,
  ]);
  // Abuse and overload: failure throttling of client authentication here, admission at the app's edge.
  const t = config.server.throttle;
  const throttle = createFailureThrottle(
    { clientFailures: t.client_failures, sourceFailures: t.source_failures, windowSeconds: t.window_seconds, blockSeconds: t.block_seconds },
    {
      throttled: metrics.traffic.throttled,
      blocked: async ({ limit, keys, seconds, requestId }) =>
        void (await commitAudited({ audit }, (tx) =>
          audit.append(tx, {
            event: 'client.throttle',
            outcome: 'refused',
            requestId,
            ...(limit === 'client' && keys.client ? { clientId: keys.client } : {}),
            reason: `too many failed client authentications from this ${limit === 'client' ? 'client id' : 'address'}`,
            data: { limit, ...(keys.source ? { source: keys.source } : {}), block_seconds: seconds },
          }),
        )),
    },
    engine.sharedLimiter,
  );
  const a = config.server.admission;
  const secretCheckGate = createBulkhead({ slots: t.max_secret_checks, maxWaiting: t.secret_check_queue, deadlineMs: t.secret_check_deadline_ms });
  const admission = createAdmission(
    { maxInFlight: a.max_in_flight, maxQueue: a.max_queue, queueDeadlineMs: a.queue_deadline_ms, retryAfterSeconds: a.retry_after_seconds },
    { exempt: ['/healthz', '/readyz', '/metrics'], priority: (method, path) => method === 'POST' && path === '/saml/acs', shed: metrics.traffic.shed },
  );
  metrics.traffic.watch(admission.state);
  const clientAuth = createClientAuthenticator({
    clients,
    clock,
    assertionAudiences: [urls.token, issuer],
    clockSkewSeconds: config.tokens.clock_skew_seconds,
    throttle,
    secretChecks: (check) =>
      inSlot(secretCheckGate, check, (why) => {
        metrics.traffic.shed(`secret_check_${why}`);
        return serviceBusy(a.retry_after_seconds, `secret checks busy: ${why}`);
      }),
  });
  const services = { audit, clientAuth };

  const app = createApp({
    logger,
    oauth: {
      maxBodyBytes: config.server.max_body_bytes,
      sourceAddress: createSourceAddress(config.server.trusted_proxies),
      token: createTokenEndpoint({ ...services, grants, clientAssertions: stores.clientAssertions }),
      introspect: createIntrospection({ ...services, verify }),
      revoke: createRevocation({ ...services, verify, revocations }),
    },
    discovery: {
      issuer,
      scopes: [...new Set(config.audiences.flatMap((a) => a.scopes))],
      grantTypes: [...grants.keys()],
      publicJwks: () => keystore.publicJwks(),
    },
    features: [...sso.routes, ...upstreams.routes, ...admin.routes(sso.browserSignIn?.start), ...(opts.extraRoutes ?? [])],
    ops: { http: metrics.http, routes: metricsRoutes(metrics) },
    admission: admission.middleware,
    health: {
      readiness: {
        // A real write through the group committer (file check included): ready only while writes succeed.
        database: async () => {
          await committer.probe().catch(() => undefined);
          return committer.failure() ?? true;
        },
        signing_key: async () => Boolean(await keystore.signingKey()),
        // Metadata past its validUntil means logins will fail: not ready (absent when no IdP is configured).
        ...(sso.browserSignIn ? { idp_metadata: () => staleMetadata(sso.browserSignIn!.metadata, clock.now()).length === 0 } : {}),
      },
    },
  });
  const stopPruning = schedulePruning(committer, clock, engine.purgeExpired);
  const stopCheckpoints = admin.scheduleCheckpoints(logger);
  return {
    app,
    /** Admission's refusal before Hono, for the HTTP server (http/listen.ts). */
    shedEarly: admission.early,
    engine,
    /** The SQLite database (tests, and the tools that only SQLite has); a PostgreSQL-backed service has none. */
    get sqlite(): AppDatabase {
      if (!engine.sqlite) throw new Error('this service runs on PostgreSQL: it has no SQLite database');
      return engine.sqlite;
    },
    audit,
    keystore,
    keyDeps,
    issuer,
    metrics,
    admin,
    async close() {
      stopPruning();
      stopCheckpoints();
      checkpointer?.stop();
      upstreams.close();
      await engine.close();
    },
  };
}

/** Calls `fn` the first time each value is seen (a log line per unknown master key, not per request). */
function onceEach(fn: (value: string) => void): (value: string) => void {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return;
    seen.add(value);
    fn(value);
  };
}

export type Service = Awaited<ReturnType<typeof composeService>>;
