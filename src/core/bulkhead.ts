/**
 * A bounded number of slots with a bounded, first-come-first-served waiting line and a deadline: the one
 * mechanism behind request admission (http/admission.ts) and the cap on concurrent scrypt checks
 * (clients/authenticate.ts). Whoever cannot get a slot soon is told so at once, instead of waiting without bound.
 */
export interface BulkheadSettings {
  slots: number;
  /** How many may wait for a slot; one more is refused at once ('full'). */
  maxWaiting: number;
  /** How long one may wait before it is refused ('deadline'). */
  deadlineMs: number;
}

export type Entry = 'admitted' | 'full' | 'deadline';

export interface Bulkhead {
  /** Takes a slot (then call `leave()` exactly once), or says why not. */
  enter(): Promise<Entry>;
  leave(): void;
  state(): { active: number; waiting: number };
}

export function createBulkhead(settings: BulkheadSettings): Bulkhead {
  let active = 0;
  // Insertion-ordered: the oldest waiter is the first value; one that gives up is deleted from the middle.
  const waiting = new Set<() => void>();
  return {
    enter() {
      if (active < settings.slots) {
        active++;
        return Promise.resolve('admitted');
      }
      if (waiting.size >= settings.maxWaiting) return Promise.resolve('full');
      return new Promise<Entry>((resolve) => {
        const admit = () => {
          clearTimeout(timer);
          resolve('admitted');
        };
        const timer = setTimeout(() => {
          waiting.delete(admit);
          resolve('deadline');
        }, settings.deadlineMs);
        waiting.add(admit);
      });
    },
    leave() {
      const next = waiting.values().next();
      if (next.done) active--;
      else {
        // The slot passes straight to the oldest waiter: `active` stays the same.
        waiting.delete(next.value);
        next.value();
      }
    },
    state: () => ({ active, waiting: waiting.size }),
  };
}

/** Runs `work` holding a slot; when none comes, throws what `refused` makes of the reason. */
export async function inSlot<T>(bulkhead: Bulkhead, work: () => Promise<T>, refused: (why: Exclude<Entry, 'admitted'>) => Error): Promise<T> {
  const entry = await bulkhead.enter();
  if (entry !== 'admitted') throw refused(entry);
  try {
    return await work();
  } finally {
    bulkhead.leave();
  }
}
