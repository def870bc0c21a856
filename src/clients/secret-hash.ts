import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** scrypt cost: N=2^15, r=8, p=1 (OWASP's minimum for scrypt), 32-byte output. */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAXMEM = 128 * PARAMS.N * PARAMS.r * 2;

/** `scrypt$N$r$p$salt$hash` (base64url), self-describing so the cost can rise later. */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, 32, { ...PARAMS, maxmem: MAXMEM });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export class SecretHashError extends Error {}

export interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function parseSecretHash(text: string): ParsedHash {
  const [scheme, n, r, p, salt, hash] = text.split('$');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (scheme !== 'scrypt' || !salt || !hash || !Number.isInteger(N) || N < 2 ** 14 || N > 2 ** 20 || (N & (N - 1)) !== 0 || !(R >= 1 && R <= 32) || !(P >= 1 && P <= 16)) {
    throw new SecretHashError('expected scrypt$N$r$p$salt$hash with N a power of two between 2^14 and 2^20');
  }
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

/**
 * What a secret is checked against when there is no hash to check it against (an unknown client id): the same
 * scrypt cost as a real client's, so a refusal takes as long whether the id exists or not. Random, matches nothing.
 */
export const DUMMY_SECRET_HASH: ParsedHash = { ...PARAMS, salt: randomBytes(16), hash: randomBytes(32) };

/** Constant-time check of a presented secret against a stored hash. */
export async function verifyClientSecret(secret: string, stored: ParsedHash): Promise<boolean> {
  const computed = await scryptAsync(secret, stored.salt, stored.hash.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: 128 * stored.N * stored.r * 2,
  });
  return computed.length === stored.hash.length && timingSafeEqual(computed, stored.hash);
}
