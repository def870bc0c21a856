import { decodeJwt, errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import { ACCESS_TOKEN_JWT_TYP, REGISTERED_CLAIMS, SIGNING_ALGORITHMS } from '../core/constants.js';
import { GRANT_INVALID, InvalidGrant } from '../core/oauth-errors.js';
import type { Keystore } from './keystore.js';
import type { ActClaim } from './mint.js';
import { MAX_LINEAGE, type Revocation, type RevocationKeys, type RevocationStore } from './revocations.js';

/** jose wants a mutable list: copied once, not per verification. */
const OUR_ALGORITHMS: string[] = [...SIGNING_ALGORITHMS];

/** A token we issued, after every check. */
export interface VerifiedToken {
  sub: string;
  aud: string[];
  clientId: string;
  scope: string[];
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
  act?: ActClaim;
  /** RFC 8693 §4.4: who may act for the subject. */
  mayAct?: { sub: string; iss?: string };
  /** What the token descends from, root first (the `lineage` claim; empty when it descends from nothing). */
  lineage: string[];
  /** Non-registered claims (released attributes). */
  extra: Record<string, unknown>;
}

export interface VerifyDeps {
  keystore: Keystore;
  revocations: RevocationStore;
  clock: Clock;
  issuer: string;
  clockSkewSeconds: number;
}

const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies a JWT access token we issued: our signature under a still-published `kid`, `typ: at+jwt`,
 * our `iss`, unexpired by the injected clock, and not revoked. Every failure is InvalidGrant with the
 * precise reason (the jose error code) as private detail.
 */
export async function verifyOwnToken(token: string, deps: VerifyDeps): Promise<VerifiedToken> {
  if (token.length > MAX_TOKEN_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new InvalidGrant(GRANT_INVALID, 'token is not a compact JWS');
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => keyFor(header, deps.keystore), {
      issuer: deps.issuer,
      algorithms: OUR_ALGORITHMS,
      typ: ACCESS_TOKEN_JWT_TYP,
      currentDate: deps.clock.now(),
      clockTolerance: deps.clockSkewSeconds,
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    }));
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new InvalidGrant(GRANT_INVALID, `token rejected: ${err.code}${claimOf(err)}`, { cause: err });
    throw err;
  }
  const claims = readClaims(payload);
  await refuseRevoked(claims, deps.revocations);
  return claims;
}

/**
 * What the revocation check needs of a token we minted and kept sealed ourselves (a pending launch code's): read
 * from its payload, its signature not verified again.
 */
export function revocationKeysOf(token: string): RevocationKeys {
  return readClaims(decodeJwt(token));
}

/** Refuses a revoked token (itself, an ancestor, or its subject cut off), saying which in the private detail. */
export async function refuseRevoked(token: VerifiedToken, revocations: RevocationStore): Promise<void> {
  const revocation = await revocations.revocationOf(token);
  if (revocation) throw new InvalidGrant(GRANT_INVALID, revocationReason(revocation));
}

/** The audit reason of a revoked token: `token revoked`, and why when it was not revoked by its own id. */
export function revocationReason(r: Revocation): string {
  switch (r.by) {
    case 'itself':
      return 'token revoked';
    case 'ancestor':
      return `token revoked: it descends from ${r.id}, which was revoked`;
    case 'subject':
      return `token revoked: every token of its subject issued before ${r.cutoff.toISOString()} was revoked`;
  }
}

async function keyFor(header: JWTHeaderParameters, keystore: Keystore) {
  if (!header.kid) throw new errors.JWKSNoMatchingKey('token has no kid');
  const key = await keystore.verificationKey(header.kid);
  if (!key) throw new errors.JWKSNoMatchingKey('unknown or withdrawn kid');
  return key;
}

function claimOf(err: errors.JOSEError): string {
  return err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired ? ` (${err.claim})` : '';
}

function readClaims(p: JWTPayload): VerifiedToken {
  const str = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') throw new InvalidGrant(GRANT_INVALID, `token claim ${name} is malformed`);
    return v;
  };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!REGISTERED_CLAIMS.has(k)) extra[k] = v;
  const scope = p.scope === undefined ? '' : str(p.scope, 'scope');
  return {
    sub: str(p.sub, 'sub'),
    aud: Array.isArray(p.aud) ? p.aud : [str(p.aud, 'aud')],
    clientId: str(p.client_id, 'client_id'),
    scope: scope.split(' ').filter(Boolean),
    jti: str(p.jti, 'jti'),
    issuedAt: new Date((p.iat as number) * 1000),
    expiresAt: new Date((p.exp as number) * 1000),
    ...(isActor(p.act) ? { act: p.act } : {}),
    ...(isActor(p.may_act) ? { mayAct: p.may_act } : {}),
    lineage: readLineage(p.lineage),
    extra,
  };
}

function readLineage(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_LINEAGE || !v.every((id) => typeof id === 'string' && id !== '')) {
    throw new InvalidGrant(GRANT_INVALID, 'token claim lineage is malformed');
  }
  return v as string[];
}

function isActor(v: unknown): v is ActClaim {
  return typeof v === 'object' && v !== null && typeof (v as { sub?: unknown }).sub === 'string';
}
