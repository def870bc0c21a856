import { Hono, type Context } from 'hono';
import type { IntrospectionResponse } from './introspection.js';
import type { OAuthRequest } from './audited-request.js';
import type { TokenResponse } from './token-endpoint.js';
import type { AppEnv } from '../http/env.js';
import { NO_STORE } from '../http/errors.js';
import { readForm } from '../http/read-form.js';

export interface OAuthRoutesDeps {
  maxBodyBytes: number;
  /** The caller's address for failure throttling (./source-address.ts). */
  sourceAddress(c: Context<AppEnv>): string | undefined;
  token(req: OAuthRequest): Promise<TokenResponse>;
  introspect(req: OAuthRequest): Promise<IntrospectionResponse>;
  revoke(req: OAuthRequest): Promise<void>;
}

/** POST /token (RFC 6749, 8693), /introspect (RFC 7662), /revoke (RFC 7009). Responses are never cached. */
export function oauthRoutes(deps: OAuthRoutesDeps): Hono<AppEnv> {
  const toRequest = (c: Context<AppEnv>): OAuthRequest => ({
    authorization: c.req.header('authorization'),
    sourceAddress: deps.sourceAddress(c),
    requestId: c.get('requestId'),
    readForm: () => readForm(c, deps.maxBodyBytes),
  });
  return new Hono<AppEnv>()
    .post('/token', async (c) => c.json(await deps.token(toRequest(c)), 200, NO_STORE))
    .post('/introspect', async (c) => c.json(await deps.introspect(toRequest(c)), 200, NO_STORE))
    .post('/revoke', async (c) => {
      await deps.revoke(toRequest(c));
      return c.body(null, 200, NO_STORE);
    });
}
