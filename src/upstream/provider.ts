/**
 * One adapter per upstream provider (`providers/*.ts`): the endpoints and vendor quirks of getting, refreshing
 * and revoking tokens, and of reading the vendor's answers. The vault and the proxy see only this interface.
 * `fetch` is injected; adapters never touch the database or the vault.
 */
import type { UpstreamConfig } from '../config/upstream.js';

export type FetchFn = typeof fetch;

/** Where the proxy and the vault report timings and refreshes (the service's metrics registry; optional). */
export interface UpstreamObserver {
  observeCall(labels: { upstream: string; status: number | 'timeout' | 'error' }, seconds: number): void;
  countRefresh(labels: { upstream: string; outcome: 'success' | 'error' }): void;
}

/** A token endpoint's answer (RFC 6749 §5.1), normalized. */
export interface TokenSet {
  accessToken: string;
  /** Absent: the provider issued none (client credentials, SurveyMonkey); a refresh keeps the stored one. */
  refreshToken?: string;
  /** Seconds (RFC 6749 `expires_in`); absent when the provider gives no expiry. Never assumed. */
  expiresIn?: number;
  scope?: string;
  /** SurveyMonkey: the account's regional API origin, already checked against the allow-list. */
  accessUrl?: string;
}

/**
 * Why a token request failed, as the vault needs to know it: `invalid_grant` (the refresh token or code is dead:
 * re-authorisation needed, never retried), `invalid_client` (our client credentials refused, or not allowed the
 * grant: only new credentials help, never retried),
 * `rejected` (another OAuth error), `unavailable` (network, timeout, 5xx: try again later), `malformed`.
 */
export type TokenErrorKind = 'invalid_grant' | 'invalid_client' | 'rejected' | 'unavailable' | 'timeout' | 'malformed';

export class UpstreamTokenError extends Error {
  /** A new refresh token the failed answer nevertheless carried (rotation): the vault keeps it. */
  declare readonly refreshToken: string | undefined;

  constructor(
    readonly kind: TokenErrorKind,
    /** Short, loggable and auditable: the OAuth error code or vendor error id, an HTTP status; never a token. */
    readonly code: string,
    options?: { cause?: unknown; refreshToken?: string },
  ) {
    super(`upstream token request failed: ${kind} (${code})`, options?.cause === undefined ? {} : { cause: options.cause });
    // Not enumerable: a logged error (or its cause chain) never serialises the token.
    Object.defineProperty(this, 'refreshToken', { value: options?.refreshToken, enumerable: false });
  }
}

/** What a provider says about an API answer: fine, or "this token is dead" in the vendor's own words. */
export type AnswerVerdict = 'ok' | 'token_rejected' | 'token_revoked';

export interface UpstreamProvider {
  /** The provider names are the config's (`upstreams[].provider`), so a new preset is added in one place. */
  readonly preset: UpstreamConfig['provider'];
  /** The base URL API paths are appended to; `accessUrl` is a connection's regional host (SurveyMonkey). */
  apiBase(accessUrl: string | null): string;
  /** The `Authorization` header value for an API call. */
  authorization(accessToken: string): string;
  /** Authorization code flow, step 1 (RFC 6749 §4.1.1 with RFC 7636 S256). */
  authorizationUrl?(p: { state: string; codeChallenge: string; redirectUri: string }): string;
  /** Authorization code flow, step 2 (RFC 6749 §4.1.3 with the PKCE verifier). */
  exchangeCode?(p: { code: string; codeVerifier: string; redirectUri: string }): Promise<TokenSet>;
  /** RFC 6749 §4.4. */
  clientCredentials?(): Promise<TokenSet>;
  /** RFC 6749 §6. */
  refresh?(refreshToken: string): Promise<TokenSet>;
  /** Revokes at the provider (RFC 7009 or the vendor's endpoint); absent when the provider has no such endpoint. */
  revoke?(token: { value: string; hint: 'access_token' | 'refresh_token' }): Promise<void>;
  /**
   * Reads an API answer for signs that the token is dead (401, or a vendor's 200 with an error body).
   * `body` is given only when `inspectsBodies` and the answer is small JSON.
   */
  judge(status: number, body: unknown): AnswerVerdict;
  readonly inspectsBodies: boolean;
  /** A `Retry-After` value for a 429 that carries none, from the vendor's own rate-limit headers. */
  retryAfter?(headers: Headers): string | undefined;
}
