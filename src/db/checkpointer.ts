import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints off the event loop. A checkpoint copies committed pages from the WAL into the database file
 * and fsyncs both; run by SQLite's automatic checkpointing, it happens inside whichever commit crosses the
 * threshold, stalling every request behind it (~15 ms on a busy log, a third of the audit write's cost). Here a
 * worker thread with its own connection runs PASSIVE checkpoints, which never block writers or readers, every
 * `intervalMs`. The service's connection keeps automatic checkpoints as a backstop at a higher threshold, so
 * the WAL stays bounded even if the worker falls behind or dies.
 */
export interface Checkpointer {
  /** Returns once the worker has closed its connection, so the service's own close is the last one. */
  stop(): void;
}

/** Pages in the WAL before the service's own connection checkpoints anyway (SQLite's default is 1000). */
const BACKSTOP_PAGES = 10_000;
/** How long `stop` waits for the worker to finish a checkpoint in progress and close. */
const STOP_WAIT_MS = 5_000;

// The worker is plain CommonJS evaluated from this string, so it runs the same under tsx, vitest and the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try { checkpoint.run(); } catch { /* busy or I/O: the next tick, or the backstop, catches up */ }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  try { db.close(); } finally {
    Atomics.store(workerData.closed, 0, 1);
    Atomics.notify(workerData.closed, 0);
    parentPort.close();
  }
});
`;

export function startCheckpointer(sqlite: Database.Database, intervalMs = 100): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: sqlite.name, intervalMs, closed } });
  worker.unref();
  let running = true;
  worker.once('exit', () => (running = false));
  // A worker that cannot run (no such file, a driver error) leaves the backstop to do the work, as before.
  worker.on('error', () => sqlite.open && sqlite.pragma('wal_autocheckpoint = 1000'));
  return {
    stop() {
      if (!running) return;
      worker.postMessage('stop');
      // Blocking, once, at shutdown: the files must be left to the service's connection when it closes.
      Atomics.wait(closed, 0, 0, STOP_WAIT_MS);
    },
  };
}
