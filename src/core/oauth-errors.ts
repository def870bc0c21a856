/**
 * Typed OAuth errors (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 7009, RFC 7662, RFC 6750 §3.1). Domain code throws
 * these; `http/errors.ts` is the one place that turns them into responses.
 *
 * One class per error code, every one built as `(description, detail?, options?)`. A code answered with more
 * than one HTTP status has subclasses that only fix the status (`NotFound` is an `invalid_request` with 404).
 * `description` is public (sent as `error_description`); `detail` is private: it goes to the log and the
 * audit row as the precise refusal reason, never to the client.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1: a protected resource (the upstream proxy) refusing a bearer token.
  | 'invalid_token'
  | 'insufficient_scope'
  // OpenID Connect Core 1.0 §3.1.2.6: the admin console needs its user to sign in (again).
  | 'login_required';

export type OAuthErrorStatus = 400 | 401 | 403 | 404 | 405 | 413 | 429 | 502 | 503 | 504;

export abstract class OAuthError extends Error {
  abstract readonly code: OAuthErrorCode;
  abstract readonly status: OAuthErrorStatus;

  constructor(
    readonly description: string,
    readonly detail: string = description,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }
}

/** The public text of every `invalid_client`: which check failed stays in `detail` (no oracle for guessing). */
export const CLIENT_AUTHENTICATION_FAILED = 'client authentication failed';
/** The public text of an `invalid_grant` whose reason is private (oidc-provider's InvalidGrant does the same). */
export const GRANT_INVALID = 'grant request is invalid';

export class InvalidRequest extends OAuthError {
  readonly code = 'invalid_request';
  readonly status: OAuthErrorStatus = 400;
}

export class NotFound extends InvalidRequest {
  override readonly status = 404;
}

/** RFC 9110 §15.5.6: the path exists, not with this method; `allow` lists the methods it has (the Allow header). */
export class MethodNotAllowed extends InvalidRequest {
  override readonly status = 405;
  readonly allow: readonly string[];
  constructor(description: string, detail?: string, options?: { allow?: readonly string[]; cause?: unknown }) {
    super(description, detail, options);
    this.allow = options?.allow ?? [];
  }
}

export class PayloadTooLarge extends InvalidRequest {
  override readonly status = 413;
}

/** RFC 6749 §5.2: 401 with a WWW-Authenticate challenge when the client used (or could use) HTTP auth. */
export class InvalidClient extends OAuthError {
  readonly code = 'invalid_client';
  readonly status = 401;
}

export class InvalidGrant extends OAuthError {
  readonly code = 'invalid_grant';
  readonly status = 400;
}

export class UnauthorizedClient extends OAuthError {
  readonly code = 'unauthorized_client';
  readonly status = 400;
}

export class UnsupportedGrantType extends OAuthError {
  readonly code = 'unsupported_grant_type';
  readonly status = 400;
}

export class InvalidScope extends OAuthError {
  readonly code = 'invalid_scope';
  readonly status = 400;
}

/** RFC 8693 §2.2.2: the requested audience or resource is unknown or not allowed. */
export class InvalidTarget extends OAuthError {
  readonly code = 'invalid_target';
  readonly status = 400;
}

export class AccessDenied extends OAuthError {
  readonly code = 'access_denied';
  readonly status = 403;
}

/**
 * 503 by default. `retryAfterSeconds` marks a refusal for load, not for what the request says (the service is
 * saturated, or this caller failed too often: `TooManyFailures`): answered with `Retry-After` (RFC 9110
 * §10.2.3), counted in the metrics, and neither logged nor audited one by one (that would only add to the load).
 * `temporarily_unavailable` is the registered OAuth code for exactly this (RFC 6749 §4.1.2.1); `slow_down`
 * belongs to device-flow polling (RFC 8628 §3.5), and `invalid_client` would claim a check that never ran.
 */
export class TemporarilyUnavailable extends OAuthError {
  readonly code = 'temporarily_unavailable';
  readonly status: OAuthErrorStatus = 503;
  readonly retryAfterSeconds: number | undefined;
  constructor(description: string, detail?: string, options?: { retryAfterSeconds?: number; cause?: unknown }) {
    super(description, detail, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** A refusal for load (see `TemporarilyUnavailable`): the one test for it. */
export const isLoadRefusal = (err: unknown): err is TemporarilyUnavailable & { retryAfterSeconds: number } =>
  err instanceof TemporarilyUnavailable && err.retryAfterSeconds !== undefined;

/** 429 (RFC 6585 §4): this caller (a client id, an address) failed too often. */
export class TooManyFailures extends TemporarilyUnavailable {
  override readonly status = 429;
}

/** 503: the service is saturated (admission, or the cap on concurrent secret checks). */
export function serviceBusy(retryAfterSeconds: number, detail: string): TemporarilyUnavailable {
  return new TemporarilyUnavailable('the service is busy; retry later', detail, { retryAfterSeconds });
}

/** An upstream API or token endpoint failed or answered unusably (502; RFC 9110 §15.6.3). */
export class BadGateway extends TemporarilyUnavailable {
  override readonly status = 502;
}

/** An upstream API did not answer in time (504; RFC 9110 §15.6.5). */
export class GatewayTimeout extends TemporarilyUnavailable {
  override readonly status = 504;
}

/**
 * RFC 6750 §3.1 `invalid_token` (401): the bearer token presented to a protected resource (the upstream proxy)
 * is missing, expired, revoked or malformed. When no token was sent at all (`missing`), §3.1 says the challenge
 * SHOULD NOT carry an error code, so the mapping leaves it out of `WWW-Authenticate`.
 */
export class InvalidToken extends OAuthError {
  readonly code = 'invalid_token';
  readonly status = 401;
  readonly missing: boolean;
  constructor(description: string, detail?: string, options?: { missing?: boolean; cause?: unknown }) {
    super(description, detail, options);
    this.missing = options?.missing ?? false;
  }
}

/** RFC 6750 §3.1 `insufficient_scope` (403): the token lacks the scope the resource needs (`scope` names it). */
export class InsufficientScope extends OAuthError {
  readonly code = 'insufficient_scope';
  readonly status = 403;
  readonly scope: string | undefined;
  constructor(description: string, detail?: string, options?: { scope?: string; cause?: unknown }) {
    super(description, detail, options);
    this.scope = options?.scope;
  }
}

/**
 * The admin console's JSON answer to a request without a live session (401): `loginUrl` goes into the body as
 * `login_url` so a script knows where a person signs in. No WWW-Authenticate challenge: the console's scheme is
 * its sign-in page, and a Basic challenge would make browsers prompt for a password.
 */
export class LoginRequired extends OAuthError {
  readonly code = 'login_required';
  readonly status = 401;
  readonly loginUrl: string | undefined;
  constructor(description: string, detail?: string, options?: { loginUrl?: string; cause?: unknown }) {
    super(description, detail, options);
    this.loginUrl = options?.loginUrl;
  }
}
