import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(value)): how one-time values, tokens and secrets are referenced in storage and audit. */
export function sha256b64u(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A fresh unguessable value (256 bits, base64url). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
