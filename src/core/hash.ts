import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(value)): how one-time values, tokens and secrets are referenced in storage and audit. */
export function sha256b64u(value: string | Uint8Array): string {
  // One-shot: no Hash object per call (client authentication and every one-time value hash one).
  return hash('sha256', value, 'base64url');
}

/** A fresh unguessable value (256 bits, base64url). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
