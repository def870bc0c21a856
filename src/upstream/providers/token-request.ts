import { UpstreamTokenError, type FetchFn, type TokenSet } from '../provider.js';

/**
 * The one HTTP client for upstream token endpoints (RFC 6749 §4.1.3, §4.4, §6): a form POST, client
 * authentication, a bounded wait, and the answer normalized into a TokenSet or an UpstreamTokenError. Library
 * and network errors are translated here, at the module boundary, with the cause kept.
 */

export interface TokenClientAuth {
  id: string;
  secret: string;
  /** client_secret_basic: HTTP Basic (RFC 6749 §2.3.1); client_secret_post: both in the form body. */
  method: 'client_secret_basic' | 'client_secret_post';
}

export interface TokenRequest {
  fetch: FetchFn;
  url: string;
  params: Record<string, string | undefined>;
  auth?: TokenClientAuth;
  timeoutMs: number;
}

const MAX_ANSWER_BYTES = 64 * 1024;
/** RFC 6750 §2.1 b64token is narrower; anything printable is accepted, nothing that could split a header. */
const TOKEN_VALUE = /^[\x21-\x7e]{1,8192}$/;

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined and base64-encoded. */
export function basicAuthorization(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** Sends a token request and returns the normalized token set plus the raw JSON (for vendor extras). */
export async function requestToken(req: TokenRequest): Promise<{ set: TokenSet; raw: Record<string, unknown> }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(req.params)) if (v !== undefined) body.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (req.auth?.method === 'client_secret_basic') headers.authorization = basicAuthorization(req.auth.id, req.auth.secret);
  if (req.auth?.method === 'client_secret_post') {
    body.set('client_id', req.auth.id);
    body.set('client_secret', req.auth.secret);
  }
  const { status, json } = await postForTokens(req.fetch, req.url, { method: 'POST', headers, body: body.toString() }, req.timeoutMs);
  if (status < 200 || status > 299) throw errorFromAnswer(status, json);
  return { set: parseTokenSet(json), raw: json as Record<string, unknown> };
}

/** A POST to a token-ish endpoint: never follows redirects (credentials stay where they were sent). */
export async function postForTokens(fetchFn: FetchFn, url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new UpstreamTokenError('timeout', 'timeout', { cause: err });
    throw new UpstreamTokenError('unavailable', networkCode(err), { cause: err });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new UpstreamTokenError('unavailable', 'body_read_failed', { cause: err });
  }
  if (text.length > MAX_ANSWER_BYTES) throw new UpstreamTokenError('malformed', `answer_too_large_${res.status}`);
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json === undefined && res.status >= 500) throw new UpstreamTokenError('unavailable', `http_${res.status}`);
  if (json === undefined) throw new UpstreamTokenError('malformed', `not_json_${res.status}`);
  return { status: res.status, json };
}

function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code.slice(0, 32) : 'network_error';
}

/**
 * RFC 6749 §5.2 `{error}`; SurveyMonkey's `{error: {id, name}}`. 5xx is "try later", invalid_grant is "the
 * grant is dead", invalid_client (or 401) and unauthorized_client are our client credentials, refused or not
 * allowed this grant (SurveyMonkey Apply's "Generate new credentials" kills the old secret at once).
 */
function errorFromAnswer(status: number, json: unknown): UpstreamTokenError {
  const err = (json as { error?: unknown } | null)?.error;
  let code: string | undefined;
  if (typeof err === 'string') code = err;
  else if (err && typeof err === 'object' && 'id' in err) code = `vendor_${String((err as { id: unknown }).id)}`;
  const safe = (code ?? `http_${status}`).replace(/[^\w.-]/g, '_').slice(0, 64);
  if (status >= 500) return new UpstreamTokenError('unavailable', safe);
  if (code === 'invalid_grant') return new UpstreamTokenError('invalid_grant', safe);
  if (code === 'invalid_client' || code === 'unauthorized_client' || status === 401) return new UpstreamTokenError('invalid_client', safe);
  return new UpstreamTokenError('rejected', safe);
}

/**
 * The longest lifetime believed: a vendor's `expires_in` beyond a year (1e20 has been seen) is read as a year,
 * so the token is still renewed now and then and every stored or audited value stays an ordinary number.
 */
export const MAX_EXPIRES_IN_SECONDS = 365 * 24 * 3600;

/**
 * RFC 6749 §5.1 `expires_in`, normalised at the boundary: whole seconds (a numeric string is read as a number),
 * at most MAX_EXPIRES_IN_SECONDS. Absent, zero, negative or not a number: the lifetime is unknown (undefined),
 * and the token is used until the upstream answers 401, then refreshed once — never a reason to refuse the answer.
 */
export function normaliseExpiresIn(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 1) return undefined;
  return Math.min(Math.floor(n), MAX_EXPIRES_IN_SECONDS);
}

/**
 * RFC 6749 §5.1, checked: a bearer token (§7.1: a client MUST NOT use a token type it does not understand).
 * The refresh token is read first: with rotation the vendor has already retired the one we sent, so an answer
 * whose access token cannot be used still hands its new refresh token back (`UpstreamTokenError.refreshToken`)
 * for the vault to keep.
 */
export function parseTokenSet(json: unknown): TokenSet {
  const o = (json ?? {}) as Record<string, unknown>;
  let refreshToken: string | undefined;
  if (o.refresh_token !== undefined && o.refresh_token !== null && o.refresh_token !== '') {
    if (typeof o.refresh_token !== 'string' || !TOKEN_VALUE.test(o.refresh_token)) throw new UpstreamTokenError('malformed', 'bad_refresh_token');
    refreshToken = o.refresh_token;
  }
  const unusable = (code: string) => new UpstreamTokenError('malformed', code, refreshToken === undefined ? {} : { refreshToken });
  if (typeof o.access_token !== 'string' || !TOKEN_VALUE.test(o.access_token)) throw unusable('no_access_token');
  if (o.token_type !== undefined && (typeof o.token_type !== 'string' || o.token_type.toLowerCase() !== 'bearer')) throw unusable('token_type_not_bearer');
  const set: TokenSet = { accessToken: o.access_token };
  if (refreshToken !== undefined) set.refreshToken = refreshToken;
  const expiresIn = normaliseExpiresIn(o.expires_in);
  if (expiresIn !== undefined) set.expiresIn = expiresIn;
  if (typeof o.scope === 'string') set.scope = o.scope;
  return set;
}
