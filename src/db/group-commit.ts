import { inTransaction, type Db, type Tx } from './client.js';

/**
 * Group commit: the writes of requests that arrive together share one transaction (one WAL write, and one
 * fsync with `synchronous=FULL`), and each caller's promise settles only after that transaction has
 * committed — an acknowledged write is durable. Each change runs in its own savepoint, so one change that
 * throws (a replayed one-time value, say) rolls back alone and rejects only its own caller.
 */
export interface GroupCommitter {
  commit<T>(change: (tx: Tx) => T): Promise<T>;
}

interface Pending {
  change: (tx: Tx) => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Changes queued in one event-loop turn form one batch; a batch is capped so one commit never grows unbounded. */
export function createGroupCommitter(db: Db, maxBatch = 256): GroupCommitter {
  const queue: Pending[] = [];
  let scheduled = false;
  // better-sqlite3 runs a transaction function called inside an open transaction as a SAVEPOINT, with its
  // statements prepared once (drizzle's nested transactions prepare three per call).
  const inSavepoint = db.$client.transaction((item: Pending, tx: Tx) => item.change(tx));

  function flush(): void {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const outcomes: Outcome[] = [];
    try {
      inTransaction(db, (tx) => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: inSavepoint(item, tx) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is durable.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    commit<T>(change: (tx: Tx) => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ change, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
  };
}
