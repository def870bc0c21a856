import Database from 'better-sqlite3';
import { DatabaseUnusable, inTransaction, rewriteUserVersion, type Db, type Tx } from './client.js';

/**
 * Group commit: the writes of requests that arrive together share one transaction (one WAL write, and one
 * fsync with `synchronous=FULL`), and each caller's promise settles only after that transaction has
 * committed — an acknowledged write is durable. Each change runs in its own savepoint, so one change that
 * throws (a replayed one-time value, say) rolls back alone and rejects only its own caller.
 */
export interface GroupCommitter {
  commit<T>(change: (tx: Tx) => T): Promise<T>;
  /**
   * Commits a write that changes nothing (`rewriteUserVersion`), so readiness sees whether writes succeed now
   * even when no request has written for a while.
   */
  probe(): Promise<void>;
  /** Why the last commit failed (a line for /readyz), or undefined once a commit has succeeded since. */
  failure(): string | undefined;
}

export interface GroupCommitOptions {
  /** Largest number of changes in one commit, so one commit never grows unbounded. */
  maxBatch?: number;
  /** Runs before each commit and throws to refuse it: the database file check (`AppDatabase.checkFile`). */
  check?: () => void;
}

interface Pending {
  change: (tx: Tx) => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Changes queued in one event-loop turn form one batch. */
export function createGroupCommitter(db: Db, { maxBatch = 256, check }: GroupCommitOptions = {}): GroupCommitter {
  const queue: Pending[] = [];
  let scheduled = false;
  let lastFailure: string | undefined;
  // better-sqlite3 runs a transaction function called inside an open transaction as a SAVEPOINT, with its
  // statements prepared once (drizzle's nested transactions prepare three per call).
  const inSavepoint = db.$client.transaction((item: Pending, tx: Tx) => item.change(tx));

  function flush(): void {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const outcomes: Outcome[] = [];
    try {
      check?.();
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
      lastFailure = describeFailure(error);
      for (const item of batch) item.reject(error);
      return;
    }
    lastFailure = undefined;
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

  function commit<T>(change: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ change, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
  }

  return {
    commit,
    probe: () => commit(() => rewriteUserVersion(db.$client)),
    failure: () => lastFailure,
  };
}

/** A public line (no paths, no SQL): the file check says what to do; a SQLite failure names its code. */
function describeFailure(error: unknown): string {
  if (error instanceof DatabaseUnusable) return error.message;
  const code = error instanceof Database.SqliteError ? error.code : 'error';
  return `the last write failed (${code}); ready again once a write succeeds`;
}
