import { epochSeconds } from '../core/clock.js';
import { JwsRefused, refuseExpired } from './jws.js';
import { protectedHeaderOf, refuseRevoked, tokenRejected, verifyOwnToken, type VerifiedToken, type VerifyDeps } from './verify.js';

/**
 * A resource server's cache of verified bearer tokens, as API gateways keep one (Envoy's `jwt_authn` cache):
 * a survey presents the same token on every call of its session, and each ES256 verification costs ~60 µs of CPU. An entry is a token whose signature, issuer, type and
 * claims verified once; every use still checks, as `verifyOwnToken` would, that it has not expired (injected
 * clock, same skew), that it is not revoked (by its id, an ancestor's, or its subject's cutoff: the same one
 * query), and that its signing key is still published. Keyed by the whole token, so only the very same bytes
 * hit; at most `maxEntries` (oldest out first, expired ones on sight).
 */
export function createCachedVerifier(deps: VerifyDeps, maxEntries = 5000): (token: string) => Promise<VerifiedToken> {
  const verified = new Map<string, { claims: VerifiedToken; kid: string }>();

  return async function verifyCached(token) {
    const hit = verified.get(token);
    if (!hit) {
      const claims = await verifyOwnToken(token, deps);
      if (verified.size >= maxEntries) verified.delete(verified.keys().next().value!);
      verified.set(token, { claims, kid: protectedHeaderOf(token).kid });
      return claims;
    }
    const { claims, kid } = hit;
    try {
      refuseExpired(epochSeconds(claims.expiresAt), deps.clock.now(), deps.clockSkewSeconds);
      if (!(await deps.keystore.verificationKey(kid))) throw new JwsRefused('ERR_JWKS_NO_MATCHING_KEY');
    } catch (err) {
      verified.delete(token);
      throw err instanceof JwsRefused ? tokenRejected(err) : err;
    }
    await refuseRevoked(claims, deps.revocations);
    return claims;
  };
}
