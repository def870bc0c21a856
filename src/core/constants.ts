/** Spec URNs in one place; types derive from these values. */
export const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const;
export type TokenTypeUri = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES];

export const GRANT_TYPES = {
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  clientCredentials: 'client_credentials',
  saml2Bearer: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
} as const;

/** RFC 7523 §2.2 client assertion type for private_key_jwt. */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 9068 §2.1: the media type of JWT access tokens. */
export const ACCESS_TOKEN_JWT_TYP = 'at+jwt';

/**
 * The JWS algorithms of our own keys (tokens and audit checkpoints): the key table, the config and every verifier
 * take this list, so nothing accepts an algorithm we never sign with (RFC 8725 §3.1: `none` and HS* never).
 */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * RFC 7523 client assertions (private_key_jwt): asymmetric algorithms only, so a client's shared secret never
 * signs one. Discovery advertises this list (RFC 8414 `token_endpoint_auth_signing_alg_values_supported`).
 */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

/**
 * Claims with a meaning of their own in our tokens (RFC 7519 §4.1, RFC 9068 §2.2, RFC 8693 §4, RFC 7800, and our
 * `lineage`: what the token descends from): a released attribute never overrides one, and a verified token's
 * `extra` (carried into an exchanged token) never includes one.
 */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'act', 'may_act', 'cnf', 'lineage']);
