import type { Client } from '../clients/registry.js';
import type { Clock } from '../core/clock.js';
import { TOKEN_TYPES } from '../core/constants.js';
import { sha256b64u } from '../core/hash.js';
import { InvalidRequest, InvalidScope, InvalidTarget } from '../core/oauth-errors.js';
import type { GrantResult } from '../tokens/grant-result.js';
import type { Vault } from './vault.js';
import { quote } from '../core/bounded.js';

/**
 * Token release (RFC 8693 with `audience`/`resource` naming an upstream): a trusted server-side client whose
 * config lists the upstream under `upstream_token_release` exchanges its subject token for the upstream access
 * token itself, with its real remaining lifetime. Everyone else goes on to the normal policy, where an upstream
 * that is not one of the client's audiences is `invalid_target`. Tokens without a known expiry are never
 * released (a standing credential would leave campus-sts for good).
 */
export interface UpstreamRelease {
  /** The upstream this request asks to have released, or undefined when the normal policy applies. */
  target(client: Client, targets: readonly string[]): string | undefined;
  release(p: {
    upstream: string;
    subject: { sub: string; reference: string };
    requestedType: string | undefined;
    scopes: readonly string[] | undefined;
    hasActor: boolean;
    subjectTokenType: string;
  }): Promise<GrantResult>;
}


export function createUpstreamRelease(deps: { vault: Vault; clock: Clock }): UpstreamRelease {
  return {
    target(client, targets) {
      const releasable = targets.filter((t) => client.upstreamTokenRelease.has(t));
      if (releasable.length === 0) return undefined;
      if (new Set(targets).size !== 1) {
        throw new InvalidTarget('an upstream token is released for exactly one audience or resource', `release of ${releasable[0]} requested together with other targets`);
      }
      return releasable[0];
    },

    async release(p) {
      // RFC 8693 §2.1: the upstream's token is an access token; any other requested type cannot be honoured.
      if (p.requestedType !== undefined && p.requestedType !== TOKEN_TYPES.accessToken) {
        throw new InvalidRequest('requested_token_type is not supported for an upstream token', `requested_token_type ${quote(p.requestedType)} for upstream ${p.upstream}`);
      }
      if (p.hasActor) throw new InvalidRequest('delegation (actor_token) is not supported for upstream tokens', `actor_token with release of ${p.upstream}`);
      const token = await deps.vault.accessToken(p.upstream);
      const granted = token.scope ? token.scope.split(' ').filter(Boolean) : [];
      // Scope cannot be narrowed on someone else's token: a request may only name scopes it already has.
      if (p.scopes && !p.scopes.every((s) => granted.includes(s))) {
        throw new InvalidScope('the requested scope is not allowed', `upstream ${p.upstream} token carries "${token.scope ?? ''}"`);
      }
      const now = deps.clock.now();
      if (!token.expiresAt) throw new InvalidTarget('this upstream token cannot be released', `upstream ${p.upstream} token has no known expiry`);
      const expiresIn = Math.floor((token.expiresAt.getTime() - now.getTime()) / 1000);
      return {
        // The audit row names the released token by its hash, never by value.
        minted: { token: token.value, jti: `sha256:${sha256b64u(token.value)}`, issuedAt: now, expiresAt: token.expiresAt, expiresIn },
        issuedTokenType: TOKEN_TYPES.accessToken,
        sub: p.subject.sub,
        aud: [p.upstream],
        scope: granted,
        scopeDiffers: granted.length > 0,
        audit: { subjectTokenType: p.subjectTokenType, subjectToken: p.subject.reference, upstream: p.upstream },
      };
    },
  };
}
