import type { JWTPayload } from 'jose';
import { epochSeconds, type Clock } from '../core/clock.js';
import { REGISTERED_CLAIMS } from '../core/constants.js';
import { timeOrderedId } from '../core/ids.js';
import type { Keystore } from './keystore.js';
import { MAX_LINEAGE } from './revocations.js';

/** RFC 8693 §4.1: the current actor; nested `act` members are prior actors. */
export interface ActClaim {
  sub: string;
  iss?: string;
  act?: ActClaim;
}

export interface AccessTokenClaims {
  sub: string;
  aud: string[];
  clientId: string;
  scope: string[];
  expiresAt: Date;
  act?: ActClaim | undefined;
  mayAct?: { sub: string; iss?: string } | undefined;
  /**
   * What the token descends from, root first (at most MAX_LINEAGE ids): the sha256 of the SAML assertion or the
   * `jti` of the first token, then the `jti` of every token it was exchanged from, its parent last. Revoking any
   * of them revokes this token (revocations.ts). Empty for a token of no other (client_credentials).
   */
  lineage?: readonly string[] | undefined;
  /** Released attributes (e.g. `displayName`); registered claim names are never overridden by these. */
  extra?: Record<string, unknown>;
}

export interface MintedToken {
  token: string;
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Whole seconds from now to `exp` (RFC 6749 §5.1 expires_in). */
  expiresIn: number;
}

/** Signs an RFC 9068 JWT access token (`typ: at+jwt`, jws.ts) with the active key. */
export async function mintAccessToken(
  claims: AccessTokenClaims,
  deps: { keystore: Keystore; clock: Clock; issuer: string },
): Promise<MintedToken> {
  const { signAccessToken } = await deps.keystore.signingKey();
  const issuedAt = deps.clock.now();
  const iat = epochSeconds(issuedAt);
  const exp = epochSeconds(claims.expiresAt);
  const jti = timeOrderedId();
  const payload: JWTPayload = {
    iss: deps.issuer,
    sub: claims.sub,
    aud: claims.aud.length === 1 ? claims.aud[0]! : claims.aud,
    iat,
    exp,
    jti,
  };
  for (const [name, value] of Object.entries(claims.extra ?? {})) {
    if (!REGISTERED_CLAIMS.has(name)) payload[name] = value;
  }
  payload.client_id = claims.clientId;
  payload.scope = claims.scope.join(' ');
  if (claims.act) payload.act = claims.act;
  if (claims.mayAct) payload.may_act = claims.mayAct;
  if (claims.lineage?.length) {
    if (claims.lineage.length > MAX_LINEAGE) throw new Error(`a lineage of ${claims.lineage.length} ids: at most ${MAX_LINEAGE}`);
    payload.lineage = [...claims.lineage];
  }
  const token = signAccessToken(payload);
  return { token, jti, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
}
