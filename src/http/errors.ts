import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { InsufficientScope, InvalidClient, InvalidToken, LoginRequired, MethodNotAllowed, OAuthError, TemporarilyUnavailable, isLoadRefusal } from '../core/oauth-errors.js';
import { storageFailure } from '../db/failures.js';
import type { AppEnv } from './env.js';
import { ClientAborted } from './read-body.js';

/** RFC 6749 §5.1: token responses, and errors with them, must not be cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/**
 * The one place an error becomes a response: RFC 6749 §5.2 JSON `{error, error_description}` with no-store
 * (see `oauthErrorResponse`). A client that went away gets no answer (499 in the access log and metrics).
 * A storage failure is 503 with Retry-After; anything else unexpected is a generic 500 `server_error` whose details go
 * to the log only.
 */
export function toErrorResponse(err: Error, c: Context<AppEnv>, logger: Logger): Response {
  const requestId = c.get('requestId');
  if (err instanceof OAuthError) {
    // Turned away for load: counted in the metrics; a log line each would only add to the load.
    if (!isLoadRefusal(err)) logger.info({ req_id: requestId, error: err.code, detail: err.detail }, 'request refused');
    return oauthErrorResponse(err, c);
  }
  if (err instanceof ClientAborted) {
    // 499 (nginx's "client closed request"): counted apart from 5xx, which must mean a fault of ours.
    logger.info({ req_id: requestId, method: c.req.method, path: c.req.path, detail: err.detail }, 'client aborted the request');
    return c.body(null, 499 as never);
  }
  if (err instanceof HTTPException && err.status < 500) {
    logger.info({ req_id: requestId, status: err.status }, 'request refused by the HTTP layer');
    return c.json({ error: 'invalid_request', error_description: 'the request is malformed' }, err.status, NO_STORE);
  }
  // A read that found the database out of reach (PostgreSQL restarting): fail closed, and say "later" honestly.
  const failure = storageFailure(err);
  if (failure !== undefined) {
    logger.warn({ req_id: requestId, detail: failure }, 'storage unavailable');
    return oauthErrorResponse(new TemporarilyUnavailable('the service cannot answer this request now; try again shortly', failure, { retryAfterSeconds: 1 }), c);
  }
  logger.error({ req_id: requestId, err }, 'unexpected error');
  return c.json({ error: 'server_error', error_description: 'an unexpected error occurred; quote the request id to the operators' }, 500, {
    ...NO_STORE,
  });
}

/**
 * The JSON writer for a typed error, for callers that log and audit the refusal themselves (the admin guard).
 * `invalid_client` is 401 with a Basic challenge (RFC 6749 §5.2); the protected resource's errors carry a
 * Bearer challenge; `login_required` names where to sign in instead of challenging.
 */
export function oauthErrorResponse<E extends AppEnv>(err: OAuthError, c: Context<E>): Response {
  const { body, headers } = oauthErrorParts(err);
  return c.json(body, err.status, headers);
}

/** What `oauthErrorResponse` writes, apart from Hono: for an answer written before Hono (admission's early refusal). */
export function oauthErrorParts(err: OAuthError): { body: Record<string, string>; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...NO_STORE };
  const body: Record<string, string> = { error: err.code, error_description: err.description };
  if (err instanceof InvalidToken || err instanceof InsufficientScope) headers['WWW-Authenticate'] = bearerChallenge(err);
  else if (err instanceof InvalidClient) headers['WWW-Authenticate'] = 'Basic realm="campus-sts", charset="UTF-8"';
  // RFC 9110 §15.5.14: close rather than read (or drain) the rest of a body we refused for its size.
  else if (err.status === 413) headers.Connection = 'close';
  else if (err instanceof MethodNotAllowed) headers.Allow = err.allow.join(', ');
  else if (err instanceof LoginRequired && err.loginUrl) body.login_url = err.loginUrl;
  if (isLoadRefusal(err)) headers['Retry-After'] = String(err.retryAfterSeconds);
  return { body, headers };
}

/**
 * RFC 6750 §3: the Bearer challenge of a protected resource (the upstream proxy). A request without any token
 * gets the bare challenge (§3.1: no error code then); otherwise the error code, its description and, for
 * insufficient_scope, the scope needed.
 */
function bearerChallenge(err: InvalidToken | InsufficientScope): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  if (err instanceof InvalidToken && err.missing) return `Bearer realm=${quote('campus-sts')}`;
  const parts = [`realm=${quote('campus-sts')}`, `error=${quote(err.code)}`, `error_description=${quote(err.description)}`];
  if (err instanceof InsufficientScope && err.scope) parts.push(`scope=${quote(err.scope)}`);
  return `Bearer ${parts.join(', ')}`;
}
