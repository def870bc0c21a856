import type { AuditLog } from '../audit/audit-log.js';
import { AccessDenied, BadGateway, GatewayTimeout, InsufficientScope, InvalidGrant, InvalidToken, NotFound, OAuthError } from '../core/oauth-errors.js';
import { commitAudited } from '../audit/commit.js';
import { createCachedVerifier } from '../tokens/verify-cached.js';
import type { VerifiedToken, VerifyDeps } from '../tokens/verify.js';
import { routeId, type UpstreamConfig, type UpstreamRoute } from '../config/upstream.js';
import { auditErrorCode, needsReauthorization } from './errors.js';
import { readCapped } from '../core/read-capped.js';
import { ClientAborted } from '../http/read-body.js';
import { forward, isJson, peekBody, responseHeaders, type ForwardAnswer } from './forward.js';
import type { Dispatcher } from 'undici';
import type { AnswerVerdict, UpstreamObserver, UpstreamProvider } from './provider.js';
import { pickFields } from './response-filter.js';
import { parseTemplate } from '../core/path-template.js';
import { matchRoute, type MatchableRoute, type RouteRefusal } from './route-match.js';
import type { UsableToken, Vault } from './vault.js';
import { quote } from '../core/bounded.js';

/**
 * The identity-bound proxy (flow 4): `/upstreams/{id}/…` with our JWT as the bearer token. The token must be
 * ours, unexpired, unrevoked and for this upstream; the route table decides (method, path template filled from
 * the token's own claims, scope, query allow-list); the upstream is called with the vaulted token, refreshed
 * once on a 401; the answer is passed back (a small one whole, a large one as it streams; or cut to the route's
 * field allow-list). Every call, allowed or refused, is one audit row: route, status, latency; never bodies or tokens.
 */

export interface CompiledRoute extends MatchableRoute {
  id: string;
  responseFields: readonly string[] | undefined;
}

export interface ProxyUpstream {
  config: UpstreamConfig;
  /** The audience a caller's token must carry (config `audience`, default the id). */
  audience: string;
  provider: UpstreamProvider;
  routes: CompiledRoute[];
}

export function compileRoutes(routes: readonly UpstreamRoute[]): CompiledRoute[] {
  return routes.map((r) => ({
    id: routeId(r),
    method: r.method,
    parts: parseTemplate(r.path).parts,
    upstreamParts: r.upstream_path === undefined ? undefined : parseTemplate(r.upstream_path).parts,
    scope: r.scope,
    query: r.query,
    responseFields: r.response_fields,
  }));
}

export interface ProxyDeps {
  upstreams: ReadonlyMap<string, ProxyUpstream>;
  vault: Vault;
  verify: VerifyDeps;
  audit: AuditLog;
  /** Connections to the upstream APIs (`createUpstreamDispatcher`). */
  dispatcher: Dispatcher;
  maxBodyBytes: number;
  observer?: UpstreamObserver | undefined;
}

export interface ProxyCall {
  upstreamId: string;
  method: string;
  /** The path below `/upstreams/{id}`, percent-encoded as received. */
  rawPath: string;
  rawQuery: string;
  authorization: string | undefined;
  headers: Headers;
  readBody(maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined>;
  requestId: string;
}

/** Answers small enough to inspect (vendor error bodies) or filter (field allow-lists). */
const MAX_INSPECTED_BYTES = 1024 * 1024;
const BODYLESS = new Set(['GET', 'HEAD']);

interface CallRecord {
  route?: string;
  subject?: string;
  clientId?: string;
  jti?: string;
  upstreamStatus?: number;
  refreshed?: boolean;
}

// long: the proxy's closure scope (deps and the cached bearer verifier); each step in it is a named inner function,
// and the steps that need neither live below it.
export function createProxy(deps: ProxyDeps) {
  const verifyBearer = createCachedVerifier(deps.verify);

  async function authenticate(authorization: string | undefined): Promise<VerifiedToken> {
    // RFC 6750 §2.1: `Authorization: Bearer b64token`; no other way of presenting the token is accepted.
    if (!authorization) throw new InvalidToken('a bearer token is required', 'no Authorization header', { missing: true });
    const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    if (!m) throw new InvalidToken('the Authorization header must carry a Bearer token', 'malformed Authorization header');
    try {
      return await verifyBearer(m[1]!);
    } catch (err) {
      if (err instanceof InvalidGrant) throw new InvalidToken('the token is invalid, expired or revoked', err.detail, { cause: err });
      throw err;
    }
  }

  async function exchange(up: ProxyUpstream, token: UsableToken, path: string, query: string, call: ProxyCall, body: Uint8Array<ArrayBuffer> | undefined): Promise<{ answer: ForwardAnswer; verdict: AnswerVerdict }> {
    const url = `${up.provider.apiBase(token.accessUrl)}${path}${query ? `?${query}` : ''}`;
    const answer = await forward(deps.dispatcher, {
      url,
      method: call.method,
      callerHeaders: call.headers,
      authorization: up.provider.authorization(token.value),
      requestId: call.requestId,
      body,
      timeoutMs: up.config.timeout_ms,
    });
    // A 401 is read to judge it (and then discarded); a vendor that hides errors in 200 bodies (SurveyMonkey's
    // `status: 1`) has its JSON answers read too, when small, and passed on from the bytes read.
    if (answer.status !== 401 && !(up.provider.inspectsBodies && isJson(answer.headers))) return { answer, verdict: up.provider.judge(answer.status, undefined) };
    if (!answer.bytes) {
      const peeked = await peekGuarded(answer.body, up.config.timeout_ms);
      if ('rest' in peeked) {
        answer.body = peeked.rest;
        return { answer, verdict: up.provider.judge(answer.status, undefined) };
      }
      answer.bytes = peeked.bytes;
      answer.body = null; // consumed: what is passed on comes from `bytes`
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(answer.bytes).toString('utf8'));
    } catch {
      parsed = undefined;
    }
    return { answer, verdict: up.provider.judge(answer.status, parsed) };
  }

  async function proxy(call: ProxyCall, record: CallRecord): Promise<Response> {
    const up = deps.upstreams.get(call.upstreamId);
    if (!up) throw new NotFound('no such upstream', `unknown upstream ${quote(call.upstreamId, 64)}`);
    const token = await authenticate(call.authorization);
    Object.assign(record, { subject: token.sub, clientId: token.clientId, jti: token.jti });
    // The token must be meant for this upstream (RFC 9068 §4: the resource server checks `aud`). It is valid,
    // only not here: 403, so a survey builder sees "wrong token for this API" rather than "get a new token".
    if (!token.aud.includes(up.audience)) throw new AccessDenied('the token is not for this upstream', `token audience ${token.aud.join(' ').slice(0, 200)} does not include ${up.audience}`);
    const decision = matchRoute(up.routes, {
      method: call.method,
      rawPath: call.rawPath,
      rawQuery: call.rawQuery,
      claims: { ...token.extra, sub: token.sub },
      scopes: new Set(token.scope),
    });
    if (!decision.ok) throw refusal(decision.refusal);
    record.route = decision.route.id;
    const body = BODYLESS.has(call.method) ? undefined : await call.readBody(deps.maxBodyBytes);
    let vaulted = await deps.vault.accessToken(call.upstreamId);
    let result = await exchange(up, vaulted, decision.path, decision.query, call, body);
    if (result.verdict === 'token_rejected') {
      // One refresh and one retry (the vault shares the refresh with every caller that hit the same 401).
      await result.answer.body?.cancel();
      vaulted = await deps.vault.afterRejection(call.upstreamId, vaulted);
      record.refreshed = true;
      result = await exchange(up, vaulted, decision.path, decision.query, call, body);
    }
    record.upstreamStatus = result.answer.status;
    if (result.verdict === 'token_revoked') {
      await result.answer.body?.cancel();
      await deps.vault.markRevoked(call.upstreamId, `the provider reports the token revoked (status ${result.answer.status})`, call.requestId);
      throw needsReauthorization(call.upstreamId, `token revoked at the provider (status ${result.answer.status})`);
    }
    if (result.verdict === 'token_rejected') {
      await result.answer.body?.cancel();
      throw new BadGateway('the upstream refused campus-sts credentials', `upstream ${call.upstreamId} answered 401 after a refresh`);
    }
    return answerCaller(up, decision.route, result.answer);
  }

  return async function handleProxyCall(call: ProxyCall): Promise<Response> {
    const started = performance.now();
    const record: CallRecord = {};
    const write = (status: number, outcome: 'success' | 'refused' | 'error', err?: unknown) =>
      commitAudited(deps, async (tx) =>
        await deps.audit.append(tx, {
          event: 'upstream.call',
          outcome,
          requestId: call.requestId,
          ...(record.clientId ? { clientId: record.clientId } : {}),
          ...(record.subject ? { subject: record.subject } : {}),
          ...(record.jti ? { jti: record.jti } : {}),
          audience: [call.upstreamId.slice(0, 64)],
          ...(err instanceof OAuthError ? { reason: err.detail.slice(0, 1024) } : {}),
          data: {
            upstream: call.upstreamId.slice(0, 64),
            ...(record.route ? { route: record.route } : {}),
            method: call.method.slice(0, 16),
            status,
            ...(record.upstreamStatus !== undefined ? { upstream_status: record.upstreamStatus } : {}),
            latency_ms: Math.round(performance.now() - started),
            ...(record.refreshed ? { refreshed: true } : {}),
            ...(err ? { error: auditErrorCode(err) } : {}),
          },
        }),
      );
    const observe = (status: number | 'timeout' | 'error') => {
      if (deps.upstreams.has(call.upstreamId)) deps.observer?.observeCall({ upstream: call.upstreamId, status }, (performance.now() - started) / 1000);
    };
    let response: Response;
    try {
      response = await proxy(call, record);
    } catch (err) {
      if (err instanceof ClientAborted) throw err; // the caller left before its body arrived: nothing was called
      const status = err instanceof OAuthError ? err.status : 500;
      observe(err instanceof GatewayTimeout ? 'timeout' : status >= 500 ? 'error' : status);
      await write(status, status >= 500 ? 'error' : 'refused', err);
      throw err;
    }
    observe(response.status);
    // Fails closed: an answer that cannot be recorded is not handed out (503 from commitAudited).
    try {
      await write(response.status, 'success');
    } catch (err) {
      await response.body?.cancel();
      throw err;
    }
    return response;
  };
}

/** The refusal a caller sees for a route decision that went against it. */
function refusal(r: RouteRefusal): OAuthError {
  switch (r.kind) {
    case 'scope':
      return new InsufficientScope('the token does not carry the scope this request needs', r.detail, { scope: r.scope });
    case 'missing_claim':
      return new AccessDenied('the token lacks a claim this route needs', r.detail);
    case 'method':
      return new AccessDenied('this method is not allowed for this path', r.detail);
    case 'query':
      return new AccessDenied('a query parameter is not allowed for this path', r.detail);
    default:
      // No route, another identity's path and unsafe paths look alike from outside.
      return new AccessDenied('no route allows this request', `${r.kind}: ${r.detail}`);
  }
}

/** What the caller gets: an upstream 5xx or redirect is a 502, a 429 keeps a Retry-After, response_fields filter. */
async function answerCaller(up: ProxyUpstream, route: CompiledRoute, answer: ForwardAnswer): Promise<Response> {
  const { status } = answer;
  if (status >= 500 || (status >= 300 && status < 400 && status !== 304)) {
    await answer.body?.cancel();
    throw new BadGateway('the upstream API failed', `upstream ${up.config.id} answered ${status}`);
  }
  const headers = responseHeaders(answer.headers);
  if (status === 429 && !headers.has('retry-after')) {
    const after = up.provider.retryAfter?.(answer.headers);
    if (after) headers.set('retry-after', after);
  }
  if (route.responseFields) return filtered(route.responseFields, status, headers, answer, up.config);
  const body = answer.bytes ?? answer.body;
  return new Response(status === 204 || status === 304 ? null : body, { status, headers });
}

/** The allow-list applies to successful JSON answers; any other answer keeps only its status (and Retry-After). */
async function filtered(fields: readonly string[], status: number, headers: Headers, answer: ForwardAnswer, cfg: UpstreamConfig): Promise<Response> {
  const json = (payload: unknown) => {
    const out = new Headers({ 'content-type': 'application/json' });
    for (const keep of ['retry-after', 'cache-control', 'etag', 'last-modified']) {
      const v = headers.get(keep);
      if (v !== null) out.set(keep, v);
    }
    return new Response(JSON.stringify(payload), { status, headers: out });
  };
  if (status < 200 || status > 299) {
    await answer.body?.cancel();
    return json({ error: 'upstream_error', status });
  }
  if (!isJson(answer.headers)) {
    await answer.body?.cancel();
    throw new BadGateway('the upstream answer could not be filtered', `upstream ${cfg.id} answered ${answer.headers.get('content-type') ?? 'no content type'} on a route with response_fields`);
  }
  const bytes = answer.bytes ?? (await readGuarded(answer.body, cfg.timeout_ms));
  answer.body = null;
  let parsed: unknown;
  try {
    if (!bytes) throw new Error('too large');
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new BadGateway('the upstream answer could not be filtered', `upstream ${cfg.id} answered unreadable or oversized JSON`);
  }
  return json(pickFields(parsed, fields));
}

/** Peeks at an answer body (see peekBody); an answer that stalls past the idle deadline is a 504. */
async function peekGuarded(body: ReadableStream<Uint8Array> | null, timeoutMs: number) {
  try {
    return await peekBody(body, MAX_INSPECTED_BYTES);
  } catch (err) {
    throw new GatewayTimeout('the upstream did not answer in time', `answer body stalled for ${timeoutMs} ms`, { cause: err });
  }
}

/** Reads a small answer body; an answer that stalls past the idle deadline is a 504. */
async function readGuarded(body: ReadableStream<Uint8Array> | null, timeoutMs: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  try {
    return await readCapped(body, MAX_INSPECTED_BYTES);
  } catch (err) {
    throw new GatewayTimeout('the upstream did not answer in time', `answer body stalled for ${timeoutMs} ms`, { cause: err });
  }
}

