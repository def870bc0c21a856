import { GRANT_TYPES } from '../core/constants.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import { decideGrant } from '../exchange/policy.js';
import type { SubjectTokenHandler } from '../exchange/types.js';
import { mintAccessToken } from '../tokens/mint.js';
import type { MintingDeps } from './client-credentials.js';
import { requestedAudiences } from './targets.js';
import { requestedScopes, sameScopes, type GrantHandler } from './types.js';

/**
 * RFC 7522 §2.1 SAML 2.0 bearer assertion grant: `assertion` (base64url) is validated by the same handler as
 * the RFC 8693 saml2 subject token; the rest is the same policy as an exchange.
 */
export function createSaml2BearerGrant(deps: MintingDeps & { saml2: SubjectTokenHandler }): GrantHandler {
  return {
    grantType: GRANT_TYPES.saml2Bearer,
    async handle(form, client) {
      const assertion = form.single('assertion');
      if (assertion === undefined) throw new InvalidRequest('assertion is required');
      const subject = await deps.saml2.validate(assertion, { client });
      const scopes = requestedScopes(form);
      const decision = decideGrant({
        client,
        subject: { defaultAudiences: subject.audiences, ...(subject.expiresAt ? { expiresAt: subject.expiresAt } : {}) },
        request: { audiences: requestedAudiences(form), scopes },
        policy: deps.policy,
        now: deps.clock.now(),
      });
      const minted = await mintAccessToken(
        { sub: subject.sub, aud: decision.aud, clientId: client.id, scope: decision.scope, expiresAt: decision.expiresAt, extra: subject.claims },
        deps,
      );
      return { minted, sub: subject.sub, aud: decision.aud, scope: decision.scope, scopeDiffers: !sameScopes(scopes, decision.scope), audit: {} };
    },
  };
}
