/**
 * Typed OAuth errors (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 7009, RFC 7662). Domain code throws these;
 * `http/errors.ts` is the one place that turns them into responses.
 *
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
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1: a protected resource (the upstream proxy) refusing a bearer token.
  | 'invalid_token'
  | 'insufficient_scope';

export abstract class OAuthError extends Error {
  abstract readonly code: OAuthErrorCode;
  abstract readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 500 | 502 | 503 | 504;

  constructor(
    readonly description: string,
    readonly detail: string = description,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }
}

export class InvalidRequest extends OAuthError {
  readonly code = 'invalid_request';
  readonly status = 400;
}

/** RFC 6749 §5.2: 401 with a WWW-Authenticate challenge when the client used (or could use) HTTP auth. */
export class InvalidClient extends OAuthError {
  readonly code = 'invalid_client';
  readonly status = 401;
  constructor(detail: string, options?: { cause?: unknown }) {
    super('client authentication failed', detail, options);
  }
}

/** Public text stays vague on purpose; the reason lives in `detail` (oidc-provider's InvalidGrant). */
export class InvalidGrant extends OAuthError {
  readonly code = 'invalid_grant';
  readonly status = 400;
  constructor(detail: string, description = 'grant request is invalid', options?: { cause?: unknown }) {
    super(description, detail, options);
  }
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

export class PayloadTooLarge extends OAuthError {
  readonly code = 'invalid_request';
  readonly status = 413;
}

export class NotFound extends OAuthError {
  readonly code = 'invalid_request';
  readonly status = 404;
}

/** RFC 9110 §15.5.6: the path exists, not with this method; `allow` lists the methods it has (the Allow header). */
export class MethodNotAllowed extends OAuthError {
  readonly code = 'invalid_request';
  readonly status = 405;
  constructor(readonly allow: readonly string[], detail: string) {
    super('the method is not allowed for this endpoint', detail);
  }
}

export class TemporarilyUnavailable extends OAuthError {
  readonly code = 'temporarily_unavailable';
  readonly status = 503;
}

/**
 * Refused for now because of load, not because of what the request says: 429 (RFC 6585 §4) when this caller
 * failed too often, 503 (RFC 9110 §15.6.4) when the service is saturated; `Retry-After` (RFC 9110 §10.2.3)
 * says when to come back. `temporarily_unavailable` is the registered OAuth code for exactly this
 * (RFC 6749 §4.1.2.1); `slow_down` belongs to device-flow polling (RFC 8628 §3.5), and `invalid_client` would
 * claim a check that was never run.
 */
export class RetryLater extends OAuthError {
  readonly code = 'temporarily_unavailable';
  constructor(
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
    description: string,
    detail: string,
  ) {
    super(description, detail);
  }
}

/** 503: the service is saturated (admission, or the cap on concurrent secret checks). */
export function serviceBusy(retryAfterSeconds: number, detail: string): RetryLater {
  return new RetryLater(503, retryAfterSeconds, 'the service is busy; retry later', detail);
}

/**
 * RFC 6750 §3.1 `invalid_token` (401): the bearer token presented to a protected resource (the upstream proxy)
 * is missing, expired, revoked or malformed. When no token was sent at all (`missing`), §3.1 says the challenge
 * SHOULD NOT carry an error code, so the mapping leaves it out of `WWW-Authenticate`.
 */
export class InvalidToken extends OAuthError {
  readonly code = 'invalid_token';
  readonly status = 401;
  constructor(description: string, detail?: string, readonly missing = false, options?: { cause?: unknown }) {
    super(description, detail, options);
  }
}

/** RFC 6750 §3.1 `insufficient_scope` (403): the token lacks the scope the resource needs (`scope` is named). */
export class InsufficientScope extends OAuthError {
  readonly code = 'insufficient_scope';
  readonly status = 403;
  constructor(readonly scope: string, detail?: string) {
    super('the token does not carry the scope this request needs', detail);
  }
}

/** An upstream API or token endpoint failed or answered unusably (502; RFC 9110 §15.6.3). */
export class BadGateway extends OAuthError {
  readonly code = 'temporarily_unavailable';
  readonly status = 502;
}

/** An upstream API did not answer in time (504; RFC 9110 §15.6.5). */
export class GatewayTimeout extends OAuthError {
  readonly code = 'temporarily_unavailable';
  readonly status = 504;
}
