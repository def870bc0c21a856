import { GRANT_TYPES } from '../core/constants.js';
import { decideAndMint, type MintingDeps } from './issue.js';
import type { GrantHandler } from './types.js';

/**
 * RFC 6749 §4.4: a confidential client gets a token for itself (`sub` = its client id). It is the usual first
 * subject token of an exchange. With no audience requested it gets the client's default audience (policy core).
 */
export function createClientCredentialsGrant(deps: MintingDeps): GrantHandler {
  return {
    grantType: GRANT_TYPES.clientCredentials,
    handle: (form, client) =>
      decideAndMint(deps, form, client, { sub: client.id, defaultAudiences: [], mayAct: client.mayAct }, { audit: {} }),
  };
}
