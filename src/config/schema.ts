import { z } from 'zod';
import { GRANT_TYPES, SIGNING_ALGORITHMS } from '../core/constants.js';
import { adminSchema, checkAdminConfig } from './admin.js';
import { compileClaimExpressions } from './claim-rules.js';
import { audience, claimName, envName, filePath, id, scope } from './primitives.js';
import { idpSchema, samlSpSchema } from './saml.js';
import { surveySchema } from './surveys.js';
import { admissionSchema, cidr, throttleSchema } from './traffic.js';
import { checkUpstreams, upstreamAdminSchema, upstreamsSchema } from './upstream.js';

/**
 * The one configuration file, validated strictly: an unknown key is an error (a misspelt option must fail at
 * start, not be ignored). Secrets are never inline: `*_env` names an environment variable, `*_file` a file.
 * `campus-sts.example.yaml` at the repository root documents every option with its default.
 */

const jwk = z.record(z.string(), z.unknown());

const clientAuth = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.enum(['client_secret_basic', 'client_secret_post']),
    /** An scrypt hash made by `campus-sts client hash-secret` (not a secret itself), or a reference to the secret. */
    secret_hash: z.string().regex(/^scrypt\$/, 'expected an scrypt hash made by `campus-sts client hash-secret`').optional(),
    secret_env: envName.optional(),
    secret_file: filePath.optional(),
  }),
  z.strictObject({
    method: z.literal('private_key_jwt'),
    /** The client's public keys (RFC 7517 JWK Set); private keys are refused. */
    jwks: z.strictObject({ keys: z.array(jwk).min(1) }).optional(),
    jwks_file: z.string().min(1).optional(),
  }),
]);

const client = z.strictObject({
  id,
  name: z.string().max(200).optional(),
  auth: clientAuth,
  /** Every audience this client may ever receive a token for. */
  audiences: z.array(audience).min(1),
  /**
   * RFC 9068 §3: the audience of a token requested without `audience`/`resource` (and without a subject token
   * audience this client may receive). Default: the client's only audience when it has exactly one.
   */
  default_audience: audience.optional(),
  /** Every scope this client may ever receive. */
  scopes: z.array(scope).default([]),
  /** Grants this client may use. */
  grant_types: z
    .array(z.enum(GRANT_TYPES))
    .default([GRANT_TYPES.clientCredentials, GRANT_TYPES.tokenExchange]),
  /**
   * RFC 8693 §4.4: the one party (a client id) that may act for this client's own tokens. Its tokens then carry
   * `may_act`, and an exchange with any other actor_token is refused.
   */
  may_act: z.strictObject({ sub: z.string().min(1).max(256) }).optional(),
  /** Claims (from SAML subject tokens) released into this client's exchanged tokens; `sub` always is. */
  release: z.array(claimName).default([]),
  /** Token lifetime cap for this client, at most `tokens.max_ttl_seconds`. */
  max_ttl_seconds: z.number().int().positive().optional(),
  /**
   * Upstreams whose access token this client may receive by token exchange (audience/resource = the upstream
   * id). Only for trusted server-side clients; every other client gets `invalid_target`.
   */
  upstream_token_release: z.array(id).default([]),
});

const audienceEntry = z.strictObject({
  id: audience,
  name: z.string().max(200).optional(),
  /** Scopes a token for this audience may carry (policy). */
  scopes: z.array(scope).min(1),
  /** Lifetime cap for tokens of this audience. */
  max_ttl_seconds: z.number().int().positive().optional(),
});

const configShape = z.strictObject({
    /** This service's issuer identifier (RFC 8414 §2): its public base URL, https outside localhost. */
    issuer: z.url({ protocol: /^https?$/ }),
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** Largest request body accepted, in bytes. */
        max_body_bytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
        /** The whole request, body included, must arrive within this (a reverse proxy buffers it: it comes at once). */
        request_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
        /** The request headers must arrive within this (slowloris); at most request_timeout_ms. */
        headers_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
        /** Idle keep-alive connections close after this: longer than the proxy's own idle timeout, so it closes first. */
        keep_alive_timeout_ms: z.number().int().min(0).max(600_000).default(65_000),
        /** Connections beyond this are closed as soon as they are accepted. */
        max_connections: z.number().int().min(1).max(100_000).default(512),
        /** Reverse proxies whose X-Forwarded-For is believed; the source address is the right-most hop not in this list. */
        trusted_proxies: z.array(cidr).default([]),
        throttle: throttleSchema,
        admission: admissionSchema,
      })
      .prefault({}),
    database: z
      .strictObject({
        /** SQLite file; its folder is created when absent. */
        path: z.string().min(1).default('./data/campus-sts.sqlite'),
        /** `full` makes an acknowledged token's audit row survive power loss; `normal` survives a process crash. */
        synchronous: z.enum(['normal', 'full']).default('normal'),
        /**
         * PostgreSQL instead of the SQLite file: `postgres://user@host:port/database` (the password from PGPASSWORD
         * or ~/.pgpass rather than here). CAMPUS_STS_DATABASE_URL, when set, wins over this.
         */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
          .optional(),
        /** PostgreSQL: the schema campus-sts's tables live in. */
        schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('public'),
        /** PostgreSQL: connections per instance (one carries the group commit; the rest serve reads). */
        pool_size: z.number().int().min(2).max(200).default(10),
        /** PostgreSQL: the server cancels any statement running longer (`statement_timeout`). */
        statement_timeout_ms: z.number().int().min(100).max(600_000).default(5_000),
        /** PostgreSQL: how long a request waits for a connection before it is answered 503. */
        connect_timeout_ms: z.number().int().min(100).max(60_000).default(3_000),
        /** PostgreSQL over TLS, verifying the server against the system's CAs or `ca_file`. */
        tls: z.strictObject({ ca_file: filePath.optional() }).optional(),
      })
      .prefault({}),
    /** The master key (32 bytes, base64) that encrypts signing keys and upstream tokens at rest. */
    master_key: z
      .strictObject({
        key_env: envName.optional(),
        key_file: filePath.optional(),
        /** During a master-key rotation: the previous key, still able to open what it sealed until `campus-sts keys rotate-master` re-seals it. */
        previous_key_env: envName.optional(),
        previous_key_file: filePath.optional(),
      })
      .prefault({ key_env: 'CAMPUS_STS_MASTER_KEY' }),
    signing: z
      .strictObject({
        algorithm: z.enum(SIGNING_ALGORITHMS).default('ES256'),
      })
      .prefault({}),
    tokens: z
      .strictObject({
        /** Lifetime when nothing narrower applies. */
        default_ttl_seconds: z.number().int().positive().default(300),
        /** Hard cap for every token we issue. */
        max_ttl_seconds: z.number().int().positive().max(86400).default(300),
        /** Tolerated clock difference when checking `exp`/`iat`/`nbf` of presented JWTs. */
        clock_skew_seconds: z.number().int().min(0).max(300).default(30),
      })
      .prefault({}),
    audiences: z.array(audienceEntry).default([]),
    clients: z.array(client).default([]),
    saml: samlSpSchema,
    /** Trusted identity providers; several may be configured at once. */
    idps: z.array(idpSchema).default([]),
    /** SSO-gated survey launches (GET /launch/{id}). */
    surveys: z.array(surveySchema).default([]),
    /** Upstream APIs campus-sts holds OAuth credentials for, each with its route table. */
    upstreams: upstreamsSchema,
    /** Optional automation credential for connecting upstream accounts without console sign-in (headless setups). */
    upstream_admin: upstreamAdminSchema,
    logging: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
    /** Admin console sign-in (roles from an IdP claim), sessions, audit retention and checkpoints. */
    admin: adminSchema,
});

/** What the refinement compiled for each shaped config, attached by the transform once the config is valid. */
const compiledExpressions = new WeakMap<ShapedConfig, ReturnType<typeof compileClaimExpressions<ShapedConfig['idps'][number], ShapedConfig['surveys'][number]>>>();

/**
 * The refinement reports every problem at once (it runs even when an option's own check failed, which a transform
 * would not) and compiles the claim expressions that one time; the parsed config carries what it compiled.
 */
export const configSchema = configShape
  .superRefine((cfg, ctx) => {
    checkConsistency(cfg, ctx);
    compiledExpressions.set(cfg, compileClaimExpressions(cfg, ctx));
  })
  .transform((cfg) => ({ ...cfg, ...compiledExpressions.get(cfg)! }));

type ShapedConfig = z.infer<typeof configShape>;

/** Cross-field checks (oidc-provider's checkDependantFeatures): combinations that cannot work fail at start. */
function checkConsistency(cfg: ShapedConfig, ctx: z.RefinementCtx): void {
  checkServerSettings(cfg, ctx);
  const audiences = new Map(cfg.audiences.map((a) => [a.id, a]));
  reportDuplicates(cfg.audiences.map((a) => a.id), ['audiences'], ctx);
  reportDuplicates(cfg.clients.map((c) => c.id), ['clients'], ctx);
  checkClients(cfg, audiences, ctx);
  reportDuplicates(cfg.idps.map((p) => p.id), ['idps'], ctx);
  checkAdminConfig(cfg.admin, cfg.idps.map((p) => p.id), ctx);
  checkUpstreams(cfg, ctx);
  reportDuplicates(cfg.surveys.map((s) => s.id), ['surveys'], ctx);
  checkSurveys(cfg, audiences, ctx);
}

type AudienceMap = Map<string, ShapedConfig['audiences'][number]>;

/** The issuer, the server's timeouts, token lifetimes and the master key source. */
function checkServerSettings(cfg: ShapedConfig, ctx: z.RefinementCtx): void {
  const issuer = new URL(cfg.issuer);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  if (issuer.protocol !== 'https:' && !local) {
    ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must use https outside localhost (RFC 8414 §2)' });
  }
  if (issuer.search || issuer.hash) {
    ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'must not have a query or fragment (RFC 8414 §2)' });
  }
  if (cfg.server.headers_timeout_ms > cfg.server.request_timeout_ms) {
    ctx.addIssue({ code: 'custom', path: ['server', 'headers_timeout_ms'], message: 'must not exceed server.request_timeout_ms' });
  }
  if (cfg.tokens.default_ttl_seconds > cfg.tokens.max_ttl_seconds) {
    ctx.addIssue({ code: 'custom', path: ['tokens', 'default_ttl_seconds'], message: 'must not exceed tokens.max_ttl_seconds' });
  }
  if (!cfg.master_key.key_env === !cfg.master_key.key_file) {
    ctx.addIssue({ code: 'custom', path: ['master_key'], message: 'expected exactly one of key_env or key_file' });
  }
  if (cfg.master_key.previous_key_env && cfg.master_key.previous_key_file) {
    ctx.addIssue({ code: 'custom', path: ['master_key'], message: 'expected at most one of previous_key_env or previous_key_file' });
  }
}

/** Each client: one credential, known audiences, scopes some audience allows, a lifetime within the maximum. */
function checkClients(cfg: ShapedConfig, audiences: AudienceMap, ctx: z.RefinementCtx): void {
  cfg.clients.forEach((c, i) => {
    const auth = c.auth;
    if (auth.method === 'private_key_jwt') {
      if (!auth.jwks === !auth.jwks_file) {
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'auth'], message: 'expected exactly one of jwks or jwks_file' });
      }
    } else if ([auth.secret_hash, auth.secret_env, auth.secret_file].filter(Boolean).length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'auth'], message: 'expected exactly one of secret_hash, secret_env or secret_file' });
    }
    c.audiences.forEach((a, j) => {
      if (!audiences.has(a)) {
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'audiences', j], message: `unknown audience "${a}" (declare it under audiences)` });
      }
    });
    if (c.default_audience !== undefined && !c.audiences.includes(c.default_audience)) {
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'default_audience'], message: `"${c.default_audience}" is not one of this client's audiences` });
    }
    const reachable = new Set(c.audiences.flatMap((a) => audiences.get(a)?.scopes ?? []));
    c.scopes.forEach((s, j) => {
      if (!reachable.has(s)) {
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'scopes', j], message: `scope "${s}" is not allowed by any of this client's audiences` });
      }
    });
    if (c.max_ttl_seconds !== undefined && c.max_ttl_seconds > cfg.tokens.max_ttl_seconds) {
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'max_ttl_seconds'], message: 'must not exceed tokens.max_ttl_seconds' });
    }
  });
}

/** Each survey: a known audience whose scopes cover its own, a known (or the only) IdP, a lifetime within the maximum. */
function checkSurveys(cfg: ShapedConfig, audiences: AudienceMap, ctx: z.RefinementCtx): void {
  const idps = new Set(cfg.idps.map((p) => p.id));
  cfg.surveys.forEach((s, i) => {
    const target = audiences.get(s.audience);
    if (!target) {
      ctx.addIssue({ code: 'custom', path: ['surveys', i, 'audience'], message: `unknown audience "${s.audience}" (declare it under audiences)` });
    } else {
      s.scopes.forEach((sc, j) => {
        if (!target.scopes.includes(sc)) ctx.addIssue({ code: 'custom', path: ['surveys', i, 'scopes', j], message: `scope "${sc}" is not allowed by audience "${s.audience}"` });
      });
    }
    if (s.idp !== undefined ? !idps.has(s.idp) : idps.size !== 1) {
      ctx.addIssue({ code: 'custom', path: ['surveys', i, 'idp'], message: s.idp ? `unknown idp "${s.idp}"` : 'name the idp (there is not exactly one configured)' });
    }
    if (s.ttl_seconds !== undefined && s.ttl_seconds > cfg.tokens.max_ttl_seconds) {
      ctx.addIssue({ code: 'custom', path: ['surveys', i, 'ttl_seconds'], message: 'must not exceed tokens.max_ttl_seconds' });
    }
  });
}

function reportDuplicates(ids: string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((value, i) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate id "${value}"` });
    seen.add(value);
  });
}

export type Config = z.infer<typeof configSchema>;
export type ClientConfig = Config['clients'][number];
export type AudienceConfig = Config['audiences'][number];
/** A survey of a parsed config: its rules and CEL condition compiled (`COMPILED`, config/claim-rules.ts). */
export type SurveyConfig = Config['surveys'][number];
