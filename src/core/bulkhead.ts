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
  /**
   * Takes a slot (then call `leave()` exactly once), or says why not. A `priority` entry waits ahead of the
   * others and, when the line is full, takes the place of the newest other waiter (which is refused 'full').
   */
  enter(priority?: boolean): Promise<Entry>;
  leave(): void;
  /** Whether `enter()` (without priority) would be refused 'full' now: what may be answered before any work. */
  full(): boolean;
  state(): { active: number; waiting: number };
}

export function createBulkhead(settings: BulkheadSettings): Bulkhead {
  let active = 0;
  interface Waiter {
    admit(): void;
    refuse(why: 'full' | 'deadline'): void;
  }
  // Insertion-ordered: the oldest waiter is the first value; one that gives up is deleted from the middle.
  const lines = { priority: new Set<Waiter>(), other: new Set<Waiter>() };
  const waiting = () => lines.priority.size + lines.other.size;
  const lineFull = () => waiting() >= settings.maxWaiting;

  return {
    enter(priority = false) {
      if (active < settings.slots) {
        active++;
        return Promise.resolve('admitted');
      }
      if (lineFull()) {
        const newest = priority ? [...lines.other].at(-1) : undefined;
        if (!newest) return Promise.resolve('full');
        newest.refuse('full');
      }
      const line = priority ? lines.priority : lines.other;
      return new Promise<Entry>((resolve) => {
        const waiter: Waiter = {
          admit() {
            clearTimeout(timer);
            resolve('admitted');
          },
          refuse(why) {
            clearTimeout(timer);
            line.delete(waiter);
            resolve(why);
          },
        };
        const timer = setTimeout(() => waiter.refuse('deadline'), settings.deadlineMs);
        line.add(waiter);
      });
    },
    leave() {
      const next = lines.priority.values().next().value ?? lines.other.values().next().value;
      if (!next) active--;
      else {
        // The slot passes straight to the oldest waiter: `active` stays the same.
        if (!lines.priority.delete(next)) lines.other.delete(next);
        next.admit();
      }
    },
    full: () => active >= settings.slots && lineFull(),
    state: () => ({ active, waiting: waiting() }),
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
