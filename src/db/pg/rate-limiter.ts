import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import type pg from 'pg';

/** What one of rate-limiter-flexible's limiters is built with (the same for every store). */
export type LimiterOptions = NonNullable<ConstructorParameters<typeof RateLimiterMemory>[0]>;

/**
 * rate-limiter-flexible's PostgreSQL limiter on the `rate_limits` table, where every instance counts failures.
 * Its `get` (asked on every client authentication, failed or not) is one statement per call; here the calls
 * for one key made during one event-loop turn share one read, sent once the turn is over: each caller asked
 * before that read was sent, so each sees every count committed before it asked, as with a read of its own.
 */
class TurnCoalescingPostgresLimiter extends RateLimiterPostgres {
  private readonly reads = new Map<string, Promise<RateLimiterRes | null>>();

  override get(key: string | number, options?: Record<string, unknown>): Promise<RateLimiterRes | null> {
    if (options) return super.get(key, options);
    const id = String(key);
    let read = this.reads.get(id);
    if (!read) {
      read = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.reads.delete(id);
        return super.get(key);
      });
      this.reads.set(id, read);
    }
    return read;
  }
}

/** The shared limiter; should PostgreSQL fail, the instance goes on counting in its own memory. */
export function createPgRateLimiter(pool: pg.Pool, schemaName: string, opts: LimiterOptions): RateLimiterPostgres {
  return new TurnCoalescingPostgresLimiter({ ...opts, storeClient: pool, tableName: 'rate_limits', schemaName, tableCreated: true, insuranceLimiter: new RateLimiterMemory(opts) });
}
