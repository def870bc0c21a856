import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyFailures } from '../core/oauth-errors.js';

/** The two counters a failed client authentication feeds. */
export type ThrottleLimit = 'client' | 'source';

/** Who is trying: the client id a request claims (known or not) and the address it comes from. */
export interface ThrottleKeys {
  client?: string | undefined;
  source?: string | undefined;
}

type LimiterOptions = NonNullable<ConstructorParameters<typeof RateLimiterMemory>[0]>;

export interface ThrottleSettings {
  clientFailures: number;
  sourceFailures: number;
  windowSeconds: number;
  blockSeconds: number;
}

/** What the throttle reports (wired to the audit log and the metrics by the composition root). */
export interface ThrottleObserver {
  /** A key went over its limit and is blocked from now on: once per block. */
  blocked(block: { limit: ThrottleLimit; keys: ThrottleKeys; seconds: number; requestId: string }): Promise<void>;
  /** A request was turned away because a key is blocked. */
  throttled(limit: ThrottleLimit): void;
}

/**
 * Failure throttling for client authentication. Only failures count, so a client's own successes never use
 * its budget. The store is rate-limiter-flexible's: memory here, and the same calls on its PostgreSQL or Redis
 * limiter when instances share state (pass `limiter`).
 */
export interface FailureThrottle {
  /** Throws TooManyFailures (429) while any of these keys is blocked: called before the expensive check. */
  admit(keys: ThrottleKeys): Promise<void>;
  /** Counts one failed authentication against each key. */
  failed(keys: ThrottleKeys, requestId: string): Promise<void>;
}

export function createFailureThrottle(
  settings: ThrottleSettings,
  observer: ThrottleObserver,
  limiter: (opts: LimiterOptions) => RateLimiterAbstract = (opts) => new RateLimiterMemory(opts),
): FailureThrottle {
  const common = { duration: settings.windowSeconds, blockDuration: settings.blockSeconds };
  const limiters: Record<ThrottleLimit, { store: RateLimiterAbstract; points: number }> = {
    client: { store: limiter({ ...common, keyPrefix: 'auth-fail-client', points: settings.clientFailures }), points: settings.clientFailures },
    source: { store: limiter({ ...common, keyPrefix: 'auth-fail-source', points: settings.sourceFailures }), points: settings.sourceFailures },
  };
  const present = (keys: ThrottleKeys) => (['client', 'source'] as const).filter((limit) => keys[limit] !== undefined);

  return {
    async admit(keys) {
      let waitMs = 0;
      let by: ThrottleLimit | undefined;
      // Both keys are read at once: on a shared store each read is a round trip.
      const limits = present(keys);
      const states = await Promise.all(limits.map((limit) => limiters[limit].store.get(keys[limit]!)));
      for (const [i, limit] of limits.entries()) {
        const state = states[i];
        if (state && state.consumedPoints > limiters[limit].points && state.msBeforeNext > waitMs) [waitMs, by] = [state.msBeforeNext, limit];
      }
      if (by === undefined) return;
      observer.throttled(by);
      throw new TooManyFailures('too many failed client authentications; retry later', `client authentication throttled: ${by} blocked`, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
    },
    async failed(keys, requestId) {
      for (const limit of present(keys)) {
        const { store, points } = limiters[limit];
        const state = await store.consume(keys[limit]!).catch((rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) return rejection;
          throw rejection;
        });
        // The failure that crosses the limit starts the block: reported once, later ones are refused by admit().
        if (state.consumedPoints === points + 1) await observer.blocked({ limit, keys, seconds: settings.blockSeconds, requestId });
      }
    },
  };
}
