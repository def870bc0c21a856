import type { Clock } from '../core/clock.js';
import { GRANT_TYPES } from '../core/constants.js';
import { decideGrant, type TokenPolicy } from '../exchange/policy.js';
import { mintAccessToken } from '../tokens/mint.js';
import type { Keystore } from '../tokens/keystore.js';
import { requestedAudiences } from './targets.js';
import { requestedScopes, sameScopes, type GrantHandler } from './types.js';

export interface MintingDeps {
  keystore: Keystore;
  clock: Clock;
  issuer: string;
  policy: TokenPolicy;
}

/**
 * RFC 6749 §4.4: a confidential client gets a token for itself (`sub` = its client id). It is the usual first
 * subject token of an exchange. With no audience requested, a client that may receive exactly one gets that one.
 */
export function createClientCredentialsGrant(deps: MintingDeps): GrantHandler {
  return {
    grantType: GRANT_TYPES.clientCredentials,
    async handle(form, client) {
      const scopes = requestedScopes(form);
      const decision = decideGrant({
        client,
        subject: { defaultAudiences: client.audiences.size === 1 ? [...client.audiences] : [] },
        request: { audiences: requestedAudiences(form), scopes },
        policy: deps.policy,
        now: deps.clock.now(),
      });
      const minted = await mintAccessToken(
        { sub: client.id, aud: decision.aud, clientId: client.id, scope: decision.scope, expiresAt: decision.expiresAt, mayAct: client.mayAct },
        deps,
      );
      return { minted, sub: client.id, aud: decision.aud, scope: decision.scope, scopeDiffers: !sameScopes(scopes, decision.scope), audit: {} };
    },
  };
}
