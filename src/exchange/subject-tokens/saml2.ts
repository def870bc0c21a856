import { releasedClaims } from '../../core/claim-filter.js';
import { TOKEN_TYPES } from '../../core/constants.js';
import { sha256b64u } from '../../core/hash.js';
import { GRANT_INVALID, InvalidGrant } from '../../core/oauth-errors.js';
import { SamlRefusal } from '../../saml/errors.js';
import type { SamlServiceProvider } from '../../saml/types.js';
import type { Client } from '../../clients/registry.js';

/**
 * `urn:ietf:params:oauth:token-type:saml2` (RFC 8693 §3): a base64url SAML 2.0 assertion whose audience is us,
 * validated exactly like a browser login (signature, algorithms, issuer, audience, bearer confirmation with
 * Recipient = our token endpoint (RFC 7522 §3), times, and the same replay store). The new token cannot
 * outlive the assertion; it carries only the claims the client's config releases.
 */
export function createSaml2Handler(deps: { sp: SamlServiceProvider; tokenEndpoint: string }) {
  return {
    tokenType: TOKEN_TYPES.saml2,
    async validate(token: string, { client }: { client: Client }) {
      try {
        const login = await deps.sp.validateBearerAssertion(token, { recipient: deps.tokenEndpoint });
        const reference = sha256b64u(login.assertionId);
        return {
          sub: login.subject,
          audiences: [],
          expiresAt: login.notOnOrAfter,
          issuer: login.idpEntityId,
          claims: releasedClaims(client.release, login.claims),
          reference,
          // The assertion is the root of what is minted from it.
          lineage: [reference],
        };
      } catch (err) {
        if (err instanceof SamlRefusal) throw new InvalidGrant(GRANT_INVALID, `saml assertion refused: ${err.reason}${err.detail ? `: ${err.detail}` : ''}`.slice(0, 1024), { cause: err });
        throw err;
      }
    },
  };
}
