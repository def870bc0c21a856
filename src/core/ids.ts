import { randomUUID } from 'node:crypto';

/**
 * A unique, time-ordered identifier (RFC 9562 UUIDv7: 48-bit Unix milliseconds, then 74 random bits) for
 * values that the audit log indexes — token `jti`s and request ids. New values sort after older ones, so an
 * audit row extends those indexes at their end instead of dirtying a random B-tree page (random ids made the
 * audit write about twice as expensive). The random bits come from Node's `randomUUID`, which draws from a
 * pooled buffer: a fresh 16-byte read per id costs more than the whole id. Not a secret: use `randomToken`
 * for anything that must be unguessable.
 */
export function timeOrderedId(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  // A v4 UUID is xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: keep its random bits and variant, set time and version 7.
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}
