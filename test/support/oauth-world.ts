// The OAuth endpoint services' collaborators: the token path plus a real client registry (scrypt hashes), the
// real client authenticator and failure throttle, and requests as the HTTP layer hands them in.
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { createClientAuthenticator, type ClientAuthenticator } from '../../src/clients/authenticate.js';
import { createFailureThrottle } from '../../src/clients/failure-throttle.js';
import { buildClientRegistry, type ClientRegistry } from '../../src/clients/registry.js';
import { hashClientSecret } from '../../src/clients/secret-hash.js';
import { parseConfig } from '../../src/config/load.js';
import { GRANT_TYPES } from '../../src/core/constants.js';
import { parseForm } from '../../src/core/form-params.js';
import type { OAuthRequest } from '../../src/oauth/audited-request.js';
import { REPORTS, SIS } from './grant-fixtures.js';
import { ISSUER, openTokenPath, type TokenPath } from './token-path.js';

export const TOKEN_ENDPOINT = `${ISSUER}/token`;

export interface OAuthClients {
  registry: ClientRegistry;
  gammaKey: CryptoKey;
}

/** alpha (basic), beta (basic), delta (basic, client_credentials only), gamma (private_key_jwt). Secret: `<id>-secret`. */
export async function oauthClients(): Promise<OAuthClients> {
  const pair = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'ES256' }] };
  const [alpha, beta, delta] = await Promise.all(['alpha', 'beta', 'delta'].map((id) => hashClientSecret(`${id}-secret`)));
  const registry = await buildClientRegistry(
    parseConfig({
      issuer: ISSUER,
      audiences: [{ id: SIS, scopes: ['r', 'w'] }, { id: REPORTS, scopes: ['r'], max_ttl_seconds: 120 }],
      clients: [
        { id: 'alpha', auth: { method: 'client_secret_basic', secret_hash: alpha }, audiences: [SIS, REPORTS], default_audience: SIS, scopes: ['r', 'w'] },
        { id: 'beta', auth: { method: 'client_secret_basic', secret_hash: beta }, audiences: [SIS], scopes: ['r'] },
        { id: 'delta', auth: { method: 'client_secret_basic', secret_hash: delta }, audiences: [SIS], scopes: ['r'], grant_types: [GRANT_TYPES.clientCredentials] },
        { id: 'gamma', auth: { method: 'private_key_jwt', jwks }, audiences: [SIS], scopes: ['r'] },
      ],
    }),
    {},
  );
  return { registry, gammaKey: pair.privateKey };
}

/** Registers an endpoint test file's hooks: the clients once, a fresh token path for each test. */
export function oauthWorld(): { readonly p: TokenPath; readonly clients: OAuthClients } {
  let clients: OAuthClients;
  let p: TokenPath;
  beforeAll(async () => {
    clients = await oauthClients();
  });
  beforeEach(async () => {
    p = await openTokenPath();
  });
  afterEach(() => p.close());
  return {
    get p() {
      return p;
    },
    get clients() {
      return clients;
    },
  };
}

export function authenticator(p: TokenPath, clients: OAuthClients): ClientAuthenticator {
  return createClientAuthenticator({
    clients: clients.registry,
    clock: p.clock,
    assertionAudiences: [TOKEN_ENDPOINT, ISSUER],
    clockSkewSeconds: 30,
    throttle: createFailureThrottle({ clientFailures: 100, sourceFailures: 100, windowSeconds: 60, blockSeconds: 60 }, { blocked: async () => {}, throttled: () => {} }),
    secretChecks: (check) => check(),
  });
}

export const basic = (id: string, secret = `${id}-secret`) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A request as oauth/routes.ts builds it: the body is only read when the service asks. */
export function oauthRequest(authorization: string | undefined, params: Record<string, string | string[]>, requestId = 'req-1'): OAuthRequest {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) body.append(k, one);
  return { authorization, sourceAddress: '192.0.2.7', requestId, readForm: async () => parseForm(body.toString()) };
}

export function gammaAssertion(p: TokenPath, clients: OAuthClients, jti: string): Promise<string> {
  const now = Math.floor(p.clock.now().getTime() / 1000);
  return new SignJWT({ iss: 'gamma', sub: 'gamma', aud: TOKEN_ENDPOINT, exp: now + 60, jti }).setProtectedHeader({ alg: 'ES256', kid: 'g1' }).sign(clients.gammaKey);
}
