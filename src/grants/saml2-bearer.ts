import { GRANT_TYPES } from '../core/constants.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { SubjectTokenHandler } from './subject-tokens.js';
import { decideAndMint, type MintingDeps } from './issue.js';
import type { GrantHandler } from './types.js';

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
      return decideAndMint(deps, form, client, { ...subject, defaultAudiences: subject.audiences }, { audit: {} });
    },
  };
}
