import type { TokenTypeUri } from '../../core/constants.js';
import { GRANT_INVALID, InvalidGrant } from '../../core/oauth-errors.js';
import { verifyOwnToken, type VerifyDeps } from '../../tokens/verify.js';
import type { Client } from '../../clients/registry.js';

/**
 * Our own JWT access tokens as subject or actor tokens (`…:token-type:jwt` and `…:token-type:access_token`:
 * one handler, registered under both types). A client may only present a token that was issued to it, or
 * issued for it (the client is one of the token's audiences); anyone else's token is `invalid_grant`.
 */
export function createOwnTokenHandler(tokenType: TokenTypeUri, deps: VerifyDeps) {
  return {
    tokenType,
    async validate(token: string, { client }: { client: Client }) {
      const t = await verifyOwnToken(token, deps);
      if (t.clientId !== client.id && !t.aud.includes(client.id)) {
        throw new InvalidGrant(GRANT_INVALID, `token ${t.jti} was issued to client ${t.clientId}, not to or for ${client.id}`);
      }
      return {
        sub: t.sub,
        scopes: t.scope,
        audiences: t.aud,
        expiresAt: t.expiresAt,
        ...(t.act ? { act: t.act } : {}),
        ...(t.mayAct ? { mayAct: t.mayAct } : {}),
        issuer: deps.issuer,
        claims: t.extra,
        reference: t.jti,
        lineage: [...t.lineage, t.jti],
      };
    },
  };
}
