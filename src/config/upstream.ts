import { z } from 'zod';
import { audience, envName, filePath, id, origin, scope } from './primitives.js';
import { parseTemplate } from '../core/path-template.js';

/**
 * The `upstreams` section: each upstream API campus-sts holds OAuth credentials for, with a provider preset
 * (endpoints and vendor quirks), how the account is connected (`grant`), and the route table that decides what
 * a caller's token may reach through `/upstreams/{id}/…`. Secrets are referenced (`*_env` / `*_file`), never
 * inline. `campus-sts.example.yaml` documents every option.
 */

export const UPSTREAM_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const httpUrl = z.url({ protocol: /^https?$/ });
const queryName = z.string().regex(/^[A-Za-z0-9_.[\]-]{1,64}$/, 'expected a query parameter name');
const fieldPath = z.string().regex(/^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,7}$/, 'expected a field path like "name" or "advisor.email"');

const routeSchema = z.strictObject({
  /** Names the route in audit rows; default "METHOD path". */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/).optional(),
  method: z.enum(UPSTREAM_METHODS),
  /**
   * The upstream path, relative to the API base, e.g. `/students/{claims.student_id}/enrollments`. Literal
   * segments are RFC 3986 unreserved characters; `{claims.NAME}` is a whole segment filled from the caller's
   * token (percent-encoded as one segment; a missing claim is 403, never an empty segment).
   */
  path: z.string().max(512).superRefine((path, ctx) => {
    const problem = parseTemplate(path).problem;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /**
   * Optional: call this upstream path instead of `path`, e.g. `path: /me` with
   * `upstream_path: /students/{claims.student_id}`, so a survey can use one fixed URL for "my record".
   */
  upstream_path: z
    .string()
    .max(512)
    .superRefine((path, ctx) => {
      const problem = parseTemplate(path).problem;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** The scope the caller's token must carry (RFC 6750 §3.1 insufficient_scope otherwise). */
  scope,
  /** Query parameters the caller may pass through; any other is refused. Default: none. */
  query: z.array(queryName).default([]),
  /** If set, only these JSON fields of the upstream answer reach the caller (dot paths; arrays apply per item). */
  response_fields: z.array(fieldPath).min(1).max(128).optional(),
});

const common = {
  /** Names the upstream in URLs (`/upstreams/{id}/…`), audit rows and token release. */
  id,
  /**
   * The audience our tokens must carry to reach this upstream through the proxy (RFC 9068 §4); declare it under
   * `audiences` with the scopes the routes need. Default: the id. A URI (RFC 8707 resource) works too.
   */
  audience: audience.optional(),
  name: z.string().max(200).optional(),
  client_id: z.string().min(1).max(256).optional(),
  client_secret_env: envName.optional(),
  client_secret_file: filePath.optional(),
  /** Scopes requested from the upstream (space-joined in token and authorization requests). */
  scopes: z.array(scope).default([]),
  /** How long a caller waits for an upstream call (or for fresh credentials) before it gets 504. Default 10 000 ms. */
  timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  /**
   * How long a request to the upstream's token endpoint (refresh, code exchange, client credentials) may take.
   * Longer than `timeout_ms` on purpose: a vendor that rotates refresh tokens has retired the old one as soon as
   * it received the request, so its answer is awaited (and stored) even after the caller got its 504. Default 30 s.
   */
  refresh_timeout_ms: z.number().int().min(1000).max(300_000).default(30_000),
  /** Refresh this long before the access token expires (capped at half its lifetime). Default 60 s. */
  refresh_skew_seconds: z.number().int().min(0).max(3600).default(60),
  /** Browser origins (survey pages) allowed to call the proxy over CORS, without credentials. */
  cors_origins: z.array(origin).default([]),
  routes: z.array(routeSchema).default([]),
};

const genericOAuth2 = z.strictObject({
  provider: z.literal('generic-oauth2'),
  ...common,
  /** client_credentials connects itself; authorization_code is connected once by an admin; refresh_token is seeded. */
  grant: z.enum(['client_credentials', 'authorization_code', 'refresh_token']),
  api_base_url: httpUrl,
  token_url: httpUrl,
  authorize_url: httpUrl.optional(),
  /** RFC 7009 endpoint; disconnect revokes there when set. */
  revocation_url: httpUrl.optional(),
  client_auth: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  /** RFC 8707 resource indicator sent with token and authorization requests. */
  resource: z.url().optional(),
  /** The initial refresh token for grant refresh_token (imported once, then rotated in the vault). */
  refresh_token_env: envName.optional(),
  refresh_token_file: filePath.optional(),
});

const qualtrics = z.strictObject({
  provider: z.literal('qualtrics'),
  ...common,
  grant: z.enum(['client_credentials', 'authorization_code']),
  /** The data centre id (`ca1`, `iad1`, `fra1` …): https://{datacenter}.qualtrics.com. */
  datacenter: z.string().regex(/^[a-z0-9-]{2,32}$/, 'expected a data centre id like "ca1"').optional(),
  /** Instead of `datacenter`: a brand host (https://brand.ca1.qualtrics.com) or a test server. */
  base_url: httpUrl.optional(),
});

const surveyMonkey = z.strictObject({
  provider: z.literal('surveymonkey'),
  ...common,
  /** authorization_code (an admin connects once; tokens are long-lived, no refresh) or static (a private app's token). */
  grant: z.enum(['authorization_code', 'static']),
  base_url: httpUrl.default('https://api.surveymonkey.com'),
  /** Origins accepted as the account's regional `access_url` (default: US, EU and CA API hosts). */
  access_urls: z.array(origin).min(1).optional(),
  /** The private app's access token (grant static). */
  access_token_env: envName.optional(),
  access_token_file: filePath.optional(),
});

const surveyMonkeyApply = z.strictObject({
  provider: z.literal('surveymonkey-apply'),
  ...common,
  /** refresh_token: the credentials generated under Integrations → Apply Connect, seeded once then rotated. */
  grant: z.enum(['refresh_token', 'authorization_code']),
  /** Your site, e.g. https://yourorg.smapply.io. */
  site_url: httpUrl,
  /** The refresh token generated with the credentials (grant refresh_token): imported once, then rotated. */
  refresh_token_env: envName.optional(),
  refresh_token_file: filePath.optional(),
});

export const upstreamSchema = z.discriminatedUnion('provider', [genericOAuth2, qualtrics, surveyMonkey, surveyMonkeyApply]);
export const upstreamsSchema = z.array(upstreamSchema).default([]);

/**
 * An optional automation credential for connecting and disconnecting upstream accounts without console sign-in
 * (headless setups): typed into the connect page or sent as `Authorization: Bearer`. Admins normally sign in to
 * the console (SAML, role `admin`); this token is off unless configured.
 */
export const upstreamAdminSchema = z.strictObject({ token_env: envName.optional(), token_file: filePath.optional() }).optional();

export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type UpstreamRoute = z.infer<typeof routeSchema>;
export type UpstreamGrant = UpstreamConfig['grant'];

export const routeId = (r: UpstreamRoute): string => r.id ?? `${r.method} ${r.path}`;
export const upstreamAudience = (u: UpstreamConfig): string => u.audience ?? u.id;

/** Refresh token and access token references of the variants that have them. */
export function seedRef(u: UpstreamConfig): { env?: string | undefined; file?: string | undefined } | undefined {
  if (u.grant === 'refresh_token' && (u.provider === 'generic-oauth2' || u.provider === 'surveymonkey-apply')) return { env: u.refresh_token_env, file: u.refresh_token_file };
  if (u.grant === 'static' && u.provider === 'surveymonkey') return { env: u.access_token_env, file: u.access_token_file };
  return undefined;
}

const SEED_KEYS = ['refresh_token_env', 'refresh_token_file', 'access_token_env', 'access_token_file'] as const;

interface CheckedConfig {
  upstreams: UpstreamConfig[];
  upstream_admin?: { token_env?: string | undefined; token_file?: string | undefined } | undefined;
  admin: { roles: { admin: string[] } };
  audiences: { id: string; scopes: string[] }[];
  clients: { audiences: string[]; upstream_token_release: string[] }[];
}

/** Cross-field checks of the upstreams section (called from the config's superRefine). */
export function checkUpstreams(cfg: CheckedConfig, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const audiences = new Map(cfg.audiences.map((a) => [a.id, a]));
  const byId = new Map<string, UpstreamConfig>();
  if (cfg.upstream_admin && !cfg.upstream_admin.token_env === !cfg.upstream_admin.token_file) {
    issue(['upstream_admin'], 'expected exactly one of token_env or token_file');
  }
  cfg.upstreams.forEach((u, i) => {
    const at = (...p: (string | number)[]) => ['upstreams', i, ...p];
    if (byId.has(u.id)) issue(at('id'), `duplicate id "${u.id}"`);
    byId.set(u.id, u);
    const clientSecrets = [u.client_secret_env, u.client_secret_file].filter(Boolean).length;
    if (u.grant === 'static') {
      if (clientSecrets > 0) issue(at(), 'grant static uses no client secret');
    } else {
      if (!u.client_id) issue(at('client_id'), `grant ${u.grant} needs a client_id`);
      if (clientSecrets !== 1) issue(at(), 'expected exactly one of client_secret_env or client_secret_file');
    }
    const seed = seedRef(u);
    if (seed && !seed.env === !seed.file) issue(at(), u.grant === 'static' ? 'expected exactly one of access_token_env or access_token_file' : 'expected exactly one of refresh_token_env or refresh_token_file');
    const seedKeys = SEED_KEYS.filter((k) => (u as Record<string, unknown>)[k] !== undefined);
    if (!seed && seedKeys.length > 0) issue(at(seedKeys[0]!), `grant ${u.grant} takes no seeded token`);
    if (u.grant === 'authorization_code' && !cfg.upstream_admin && cfg.admin.roles.admin.length === 0) {
      issue(at('grant'), 'authorization_code upstreams are connected by an admin in the browser: configure admin.roles.admin (console sign-in), or upstream_admin for headless setups');
    }
    if (u.provider === 'generic-oauth2' && u.grant === 'authorization_code' && !u.authorize_url) issue(at('authorize_url'), 'required for grant authorization_code');
    if (u.refresh_timeout_ms < u.timeout_ms) issue(at('refresh_timeout_ms'), 'must be at least timeout_ms: a refresh is never abandoned before its caller gives up');
    if (u.provider === 'qualtrics' && !u.datacenter === !u.base_url) issue(at(), 'expected exactly one of datacenter or base_url');
    for (const key of ['api_base_url', 'token_url', 'authorize_url', 'revocation_url', 'base_url', 'site_url'] as const) {
      const value = (u as Record<string, unknown>)[key];
      if (typeof value === 'string') checkUrl(value, at(key), issue);
    }
    if (u.provider === 'surveymonkey') u.access_urls?.forEach((o, j) => checkUrl(o, at('access_urls', j), issue));
    if (u.routes.length > 0) checkRoutes(u, audiences, at, issue);
  });
  checkTokenRelease(cfg, byId, issue);
}

type Issue = (path: (string | number)[], message: string) => void;

/** A proxied upstream's routes: a declared audience that allows their scopes, no duplicate route or route id. */
function checkRoutes(
  u: UpstreamConfig,
  audiences: Map<string, { id: string; scopes: string[] }>,
  at: (...p: (string | number)[]) => (string | number)[],
  issue: Issue,
): void {
  const aud = upstreamAudience(u);
  const audience = audiences.get(aud);
  if (!audience) issue(at(u.audience ? 'audience' : 'id'), `declare "${aud}" under audiences (tokens for the proxy carry it as their audience)`);
  const seen = new Set<string>();
  u.routes.forEach((r, j) => {
    if (audience && !audience.scopes.includes(r.scope)) issue(at('routes', j, 'scope'), `scope "${r.scope}" is not allowed by audience "${aud}"`);
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) issue(at('routes', j), `duplicate route ${key}`);
    seen.add(key);
  });
  const ids = u.routes.map(routeId);
  ids.forEach((rid, j) => {
    if (ids.indexOf(rid) !== j) issue(at('routes', j, 'id'), `duplicate route id "${rid}"`);
  });
}

/** Upstream tokens a client may be handed directly: known, expiring, and not also one of its audiences. */
function checkTokenRelease(cfg: CheckedConfig, byId: Map<string, UpstreamConfig>, issue: Issue): void {
  cfg.clients.forEach((c, i) => {
    c.upstream_token_release.forEach((uid, j) => {
      const at = ['clients', i, 'upstream_token_release', j];
      const u = byId.get(uid);
      if (!u) issue(at, `unknown upstream "${uid}"`);
      // A token that never expires would be a standing secret in the client's hands: never released.
      else if (u.provider === 'surveymonkey') issue(at, 'SurveyMonkey tokens do not expire and are never released; use the proxy');
      if (c.audiences.includes(uid)) issue(at, `"${uid}" is also in this client's audiences: a target is either our token or the upstream's, not both`);
    });
  });
}

/** Credentials travel to these URLs: https everywhere but loopback; no query, fragment or userinfo. */
function checkUrl(value: string, path: (string | number)[], issue: Issue): void {
  const url = new URL(value);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback) issue(path, 'must use https outside localhost');
  if (url.search || url.hash || url.username || url.password) issue(path, 'must not have a query, fragment or credentials');
}
