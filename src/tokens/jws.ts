import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { JWK, JWTPayload } from 'jose';
import { epochSeconds } from '../core/clock.js';
import { ACCESS_TOKEN_JWT_TYP, type SigningAlgorithm } from '../core/constants.js';

/**
 * Our access tokens' JWS, signed and verified with node:crypto synchronously (fast-jwt). jose goes through
 * WebCrypto, which hands every ES256 operation to a thread-pool job: ~150 µs of CPU a signature against ~30 µs
 * for the signature itself (bench/README.md, "Where we stand"). jose keeps key generation, JWK(S) handling
 * and the cold paths (checkpoints, client assertions).
 */

/** Signs a payload whose registered claims (iat, exp …) are already set: no clock is read here. */
export type AccessTokenSigner = (payload: JWTPayload) => string;

/**
 * Verifies the signature, `alg` (this key's only), `typ: at+jwt`, `crit` and the presence of the claims every
 * token of ours carries; the claims' values (iss, times) are the caller's, by the injected clock.
 */
export type AccessTokenVerifier = (token: string) => JWTPayload;

/** A refused JWS; `reason` keeps the names jose gave (ERR_…), which audit rows and their reviewers know. */
export class JwsRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

export function accessTokenSigner(alg: SigningAlgorithm, privateJwk: JWK, kid: string): AccessTokenSigner {
  const key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' }) as string;
  const sign = createSigner({ key, algorithm: alg, kid, header: { alg, typ: ACCESS_TOKEN_JWT_TYP } });
  return (payload) => sign(payload as Record<string, unknown>);
}

export function accessTokenVerifier(alg: SigningAlgorithm, publicJwk: JWK): AccessTokenVerifier {
  const key = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
  const verify = createVerifier({ key, algorithms: [alg], checkTyp: ACCESS_TOKEN_JWT_TYP, requiredClaims: REQUIRED_CLAIMS, ignoreExpiration: true, ignoreNotBefore: true });
  return (token) => {
    try {
      return verify(token) as JWTPayload;
    } catch (err) {
      if (err instanceof TokenError) throw new JwsRefused(reasonOf(err));
      throw err;
    }
  };
}

/** RFC 7519 §4.1.4, §4.1.5: refused on or after `exp`, or before `nbf`, each allowing `skewSeconds`. */
export function refuseOutsideLifetime(payload: { iat?: unknown; exp?: unknown; nbf?: unknown }, now: Date, skewSeconds: number): void {
  if (typeof payload.iat !== 'number') throw new JwsRefused('ERR_JWT_CLAIM_VALIDATION_FAILED (iat)');
  if (typeof payload.exp !== 'number') throw new JwsRefused('ERR_JWT_CLAIM_VALIDATION_FAILED (exp)');
  refuseExpired(payload.exp, now, skewSeconds);
  if (payload.nbf === undefined) return;
  if (typeof payload.nbf !== 'number' || payload.nbf > epochSeconds(now) + skewSeconds) throw new JwsRefused('ERR_JWT_CLAIM_VALIDATION_FAILED (nbf)');
}

/** RFC 7519 §4.1.4: refused on or after `exp` (seconds), allowing `skewSeconds`. */
export function refuseExpired(exp: number, now: Date, skewSeconds: number): void {
  if (exp <= epochSeconds(now) - skewSeconds) throw new JwsRefused('ERR_JWT_EXPIRED (exp)');
}

const CLAIM_IN_MESSAGE = /^The (\w+) claim/;

function reasonOf(err: TokenError): string {
  switch (err.code) {
    case TokenError.codes.invalidAlgorithm:
      return 'ERR_JOSE_ALG_NOT_ALLOWED';
    case TokenError.codes.invalidSignature:
      return 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
    case TokenError.codes.invalidType:
      return 'ERR_JWT_CLAIM_VALIDATION_FAILED (typ)';
    case TokenError.codes.missingRequiredClaim:
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.invalidClaimValue:
      return `ERR_JWT_CLAIM_VALIDATION_FAILED (${CLAIM_IN_MESSAGE.exec(err.message)?.[1] ?? 'unknown'})`;
    case TokenError.codes.invalidPayload:
      return 'ERR_JWT_INVALID';
    default:
      return 'ERR_JWS_INVALID';
  }
}
