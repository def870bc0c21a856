import { Hono } from 'hono';
import type { JWK } from 'jose';
import { CLIENT_ASSERTION_ALGORITHMS } from '../core/constants.js';
import type { AppEnv } from '../http/env.js';

/** The endpoints the service publishes, all under the issuer URL. */
export function endpointUrls(issuer: string) {
  const base = issuer.replace(/\/$/, '');
  return {
    token: `${base}/token`,
    introspection: `${base}/introspect`,
    revocation: `${base}/revoke`,
    jwks: `${base}/jwks.json`,
  };
}

export interface DiscoveryDeps {
  issuer: string;
  scopes: string[];
  grantTypes: string[];
  publicJwks(): Promise<{ keys: JWK[] }>;
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** RFC 8414 authorization server metadata and the RFC 7517 JWK Set. */
export function discoveryRoutes(deps: DiscoveryDeps): Hono<AppEnv> {
  const urls = endpointUrls(deps.issuer);
  const metadata = {
    issuer: deps.issuer,
    token_endpoint: urls.token,
    jwks_uri: urls.jwks,
    introspection_endpoint: urls.introspection,
    revocation_endpoint: urls.revocation,
    // RFC 8414 §2 makes this REQUIRED; there is no authorization endpoint, so it is empty.
    response_types_supported: [],
    grant_types_supported: deps.grantTypes,
    scopes_supported: deps.scopes,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
  };
  return new Hono<AppEnv>()
    .get('/.well-known/oauth-authorization-server', (c) => c.json(metadata, 200, { 'Cache-Control': 'public, max-age=300' }))
    .get('/jwks.json', async (c) =>
      c.json(await deps.publicJwks(), 200, { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=60' }),
    );
}
