import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import { REGISTERED_CLAIMS, SIGNING_ALGORITHMS } from '../core/constants.js';
import { GRANT_INVALID, InvalidGrant } from '../core/oauth-errors.js';
import { JwsRefused, refuseOutsideLifetime } from './jws.js';
import type { Keystore } from './keystore.js';
import type { ActClaim } from './mint.js';
import { MAX_LINEAGE, type Revocation, type RevocationKeys, type RevocationStore } from './revocations.js';

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
 * Verifies a JWT access token we issued: our signature under a still-published `kid` (jws.ts: its `alg`,
 * `typ: at+jwt`, the claims every token carries), our `iss`, unexpired by the injected clock, and not revoked.
 * Every failure is InvalidGrant with the precise reason (jose's error names) as private detail.
 */
export async function verifyOwnToken(token: string, deps: VerifyDeps): Promise<VerifiedToken> {
  if (token.length > MAX_TOKEN_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new InvalidGrant(GRANT_INVALID, 'token is not a compact JWS');
  }
  let payload: JWTPayload;
  try {
    const { alg, kid } = protectedHeaderOf(token);
    // RFC 8725 §3.1: an algorithm we never sign with is refused before any key is looked up.
    if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) throw new JwsRefused('ERR_JOSE_ALG_NOT_ALLOWED');
    // Every token of ours names its key: one without a kid must not make the keystore re-read its table.
    if (kid === '') throw new JwsRefused('ERR_JWKS_NO_MATCHING_KEY');
    const key = await deps.keystore.verificationKey(kid);
    if (!key) throw new JwsRefused('ERR_JWKS_NO_MATCHING_KEY');
    payload = key.verifyAccessToken(token);
    if (payload.iss !== deps.issuer) throw new JwsRefused('ERR_JWT_CLAIM_VALIDATION_FAILED (iss)');
    refuseOutsideLifetime(payload, deps.clock.now(), deps.clockSkewSeconds);
  } catch (err) {
    throw err instanceof JwsRefused ? tokenRejected(err) : err;
  }
  const claims = readClaims(payload);
  await refuseRevoked(claims, deps.revocations);
  return claims;
}

/** A refused JWS as the grant error every caller gives, with jose's reason name as private detail. */
export function tokenRejected(err: JwsRefused): InvalidGrant {
  return new InvalidGrant(GRANT_INVALID, `token rejected: ${err.reason}`, { cause: err });
}

/** Decoded protected headers by their encoded segment: every token of one key of ours carries the same one. */
const headers = new Map<string, { alg: string; kid: string }>();
const MAX_HEADERS = 64;

/** The protected header's `alg` and `kid` ('' when absent: no algorithm or key of ours has that name). */
export function protectedHeaderOf(token: string): { alg: string; kid: string } {
  const segment = token.slice(0, token.indexOf('.'));
  const known = headers.get(segment);
  if (known) return known;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new JwsRefused('ERR_JWS_INVALID');
  }
  const name = (v: unknown) => (typeof v === 'string' ? v : '');
  const decoded = { alg: name(header.alg), kid: name(header.kid) };
  if (headers.size >= MAX_HEADERS) headers.delete(headers.keys().next().value!);
  headers.set(segment, decoded);
  return decoded;
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

function readClaims(p: JWTPayload): VerifiedToken {
  const str = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') throw new InvalidGrant(GRANT_INVALID, `token claim ${name} is malformed`);
    return v;
  };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!REGISTERED_CLAIMS.has(k)) extra[k] = v;
  // A token granted no scope carries `scope: ""` (minted so when the default scopes and the audience share none).
  if (p.scope !== undefined && typeof p.scope !== 'string') throw new InvalidGrant(GRANT_INVALID, 'token claim scope is malformed');
  const scope = p.scope ?? '';
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
