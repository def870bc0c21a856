// The peer: what a Node shop would otherwise deploy. oidc-provider v9 with one confidential client doing
// client_credentials (HTTP Basic), RFC 8707 resource indicators and JWT access tokens signed with ES256,
// on its own Koa stack and default in-memory adapter: a real, minimal production-shaped configuration.
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { BenchServer } from '../harness/protocol.js';
import { listenLocal } from './listen.js';
import { AUD, CLIENT, SCOPES } from './shared.js';

export async function startPeer(): Promise<BenchServer> {
  const server = createServer();
  // The issuer must carry the real port, so listen first and attach the provider's callback after.
  const { port, close } = await listenLocal(server);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The provider holds one ES256 key only (RS256 is its default).
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-es256' }] },
    cookies: { keys: ['bench-peer-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUD.sis,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES.sis.join(' '),
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    ttl: { ClientCredentials: 300 },
  });
  server.on('request', provider.callback());
  return { port, info: {}, close };
}
