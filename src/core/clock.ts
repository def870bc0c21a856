/** The only source of "now" for every validator: pass it in, never read the wall clock inside a check. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that tests set and advance explicitly. */
export function fixedClock(start: Date | string | number): Clock & { set(t: Date | string | number): void; advance(ms: number): void } {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (t) => { current = new Date(t).getTime(); },
    advance: (ms) => { current += ms; },
  };
}

/** Seconds since the epoch, as JWT NumericDate (RFC 7519 §2). */
export function epochSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
