import { isIP } from 'node:net';
import { z } from 'zod';

/** How campus-sts defends itself against abuse and overload: failure throttling, admission, proxies. */

/** An address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`). */
export const cidr = z.string().refine((text) => {
  const [address, prefix, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}, 'expected an IP address or a CIDR block like 10.0.0.0/8');

/**
 * Failed client authentications, counted per claimed client id and per source address in a window of
 * `window_seconds` from a key's first failure. A key over its limit is blocked for `block_seconds`: 429 before
 * the expensive secret check (scrypt).
 */
export const throttleSchema = z
  .strictObject({
    client_failures: z.number().int().min(1).max(10_000).default(10),
    source_failures: z.number().int().min(1).max(100_000).default(50),
    window_seconds: z.number().int().min(1).max(86_400).default(60),
    block_seconds: z.number().int().min(1).max(86_400).default(60),
    /** scrypt checks running at once (each ~200 ms on one of libuv's 4 threads, which also sign tokens). */
    max_secret_checks: z.number().int().min(1).max(64).default(2),
    /** scrypt checks waiting for one of those; more, or one waiting past the deadline, get 503. */
    secret_check_queue: z.number().int().min(0).max(10_000).default(32),
    secret_check_deadline_ms: z.number().int().min(1).max(60_000).default(2000),
  })
  .prefault({});

/** Bounded admission: at most `max_in_flight` requests run, `max_queue` wait up to `queue_deadline_ms`, the rest get 503. */
export const admissionSchema = z
  .strictObject({
    max_in_flight: z.number().int().min(1).max(100_000).default(64),
    max_queue: z.number().int().min(0).max(1_000_000).default(256),
    queue_deadline_ms: z.number().int().min(1).max(60_000).default(2000),
    retry_after_seconds: z.number().int().min(1).max(3600).default(2),
  })
  .prefault({});
