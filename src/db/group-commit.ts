import Database from 'better-sqlite3';
import { DatabaseUnusable, rewriteUserVersion, type Db } from './client.js';
import { closeTx, openSqliteTx, sqliteOf, type Tx } from './tx.js';

/**
 * Group commit: the writes of requests that arrive together share one transaction (one WAL write, and one
 * fsync with `synchronous=FULL`), and each caller's promise settles only after that transaction has
 * committed — an acknowledged write is durable. Each change runs in its own savepoint, so one change that
 * throws (a replayed one-time value, say) rolls back alone and rejects only its own caller.
 */
export interface GroupCommitter {
  /**
   * Runs `change` in the shared transaction; `tx` is valid only until the change settles. Async because the
   * next engine's statements are; on SQLite the change may await only the stores it passes `tx` to (they
   * settle at once): awaiting real I/O inside it (crypto, fetch, timers) rejects with `ChangeAwaitedIo`.
   */
  commit<T>(change: (tx: Tx) => Promise<T>): Promise<T>;
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

/**
 * A change awaited something that is not a store of its transaction (crypto, the network, a timer): a
 * programming error. Do that work before `commit`, and hand the change only values.
 */
export class ChangeAwaitedIo extends Error {}

interface Pending {
  change: (tx: Tx) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Changes queued in one event-loop turn form one batch. */
// long: closure scope: the prepared statements, queue and schedule state belong to one committer.
export function createGroupCommitter(db: Db, { maxBatch = 256, check }: GroupCommitOptions = {}): GroupCommitter {
  const sqlite = db.$client;
  // Plain statements, prepared once: better-sqlite3's `transaction()` wrapper cannot span an `await`.
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commitStatement = sqlite.prepare('COMMIT');
  const rollback = sqlite.prepare('ROLLBACK');
  const savepoint = sqlite.prepare('SAVEPOINT change');
  const release = sqlite.prepare('RELEASE change');
  const rollbackTo = sqlite.prepare('ROLLBACK TO change');
  const queue: Pending[] = [];
  let scheduled = false;
  let lastFailure: string | undefined;

  /**
   * The batch whose transaction is open, and how to abort it. While it is open, code reading on this connection
   * would see its uncommitted rows. A batch whose changes await only their Tx's stores (settled promises) runs
   * to COMMIT in microtasks, before any other macrotask; `overrun`, queued right behind `flush`, runs after
   * those microtasks drain: if the batch is still open then, a change awaited real I/O, and the whole batch is
   * rolled back and rejected (before any I/O callback could read into it).
   */
  let abortOpen: (() => void) | undefined;

  async function runBatch(batch: Pending[]): Promise<void> {
    const outcomes: Outcome[] = [];
    let tx: Tx | undefined;
    let aborted = false;
    const finish = (error: unknown) => {
      abortOpen = undefined;
      if (tx) closeTx(tx);
      if (sqlite.inTransaction) rollback.run();
      for (const item of batch) item.reject(error);
    };
    abortOpen = () => {
      aborted = true;
      finish(new ChangeAwaitedIo('a change awaited I/O inside its transaction: do that work before commit()'));
    };
    try {
      check?.();
      begin.run();
      tx = openSqliteTx(db);
      for (const item of batch) {
        savepoint.run();
        try {
          const value = await item.change(tx);
          if (aborted) return;
          release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (aborted) return;
          // A statement that ended the transaction itself (RAISE(ROLLBACK), a full disk) fails the whole batch.
          if (!sqlite.inTransaction) throw error;
          rollbackTo.run();
          release.run();
          outcomes.push({ ok: false, error });
        }
      }
      abortOpen = undefined;
      closeTx(tx);
      commitStatement.run();
    } catch (error) {
      // The commit itself failed (or the check refused it): nothing of the batch is durable.
      lastFailure = describeFailure(error);
      finish(error);
      return;
    }
    lastFailure = undefined;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  function flush(): void {
    scheduled = false;
    void runBatch(queue.splice(0, maxBatch));
  }

  function overrun(): void {
    abortOpen?.();
    if (queue.length > 0) schedule();
  }

  /** Node drains microtasks between two immediates: `overrun` runs once `flush`'s awaits on settled values are done. */
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
    setImmediate(overrun);
  }

  function commit<T>(change: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ change, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
  }

  return {
    commit,
    probe: () => commit(async (tx) => rewriteUserVersion(sqliteOf(tx).$client)),
    failure: () => lastFailure,
  };
}

/** A public line (no paths, no SQL): the file check says what to do; a SQLite failure names its code. */
function describeFailure(error: unknown): string {
  if (error instanceof DatabaseUnusable) return error.message;
  const code = error instanceof Database.SqliteError ? error.code : 'error';
  return `the last write failed (${code}); ready again once a write succeeds`;
}
