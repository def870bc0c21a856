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
