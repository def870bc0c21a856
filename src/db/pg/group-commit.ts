import pg from 'pg';
import type { GroupCommitOptions, GroupCommitter } from '../group-commit.js';
import { sql } from 'drizzle-orm';
import { closeTx, forgetMemo, openPgTx, pgOf, type Tx } from '../tx.js';
import type { PgDatabase } from './client.js';

/**
 * The write lock every instance's transaction takes first (`pg_advisory_xact_lock`, released at COMMIT or
 * ROLLBACK): one writer at a time across instances, as SQLite's BEGIN IMMEDIATE. The audit chain's head is read
 * and extended under it, so N instances append to one chain; and since every writer takes this one lock first,
 * two batches never wait for each other's row locks in opposite orders (no deadlocks between our own writes).
 */
export const WRITE_LOCK = 0x63_73_74_73_00; // "csts" + 0

interface Pending {
  change: (tx: Tx) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit on PostgreSQL, with the SQLite committer's contract (see GroupCommitter): the changes queued while a
 * transaction commits form the next one, each in its own savepoint, and every caller settles after COMMIT. One
 * transaction at a time per instance: they would queue on the write lock anyway. A change may await its stores
 * (network round trips here); it must not await anything else, since the write lock is held meanwhile.
 */
// long: closure scope: the queue and the last failure belong to one committer; runBatch is its one transaction.
export function createPgGroupCommitter(database: PgDatabase, { maxBatch = 256 }: Pick<GroupCommitOptions, 'maxBatch'> = {}): GroupCommitter {
  const queue: Pending[] = [];
  let running = false;
  let lastFailure: string | undefined;

  /** Runs one transaction on `held` (or a new connection); returns the connection unless it was discarded. */
  async function runBatch(batch: Pending[], held: pg.PoolClient | undefined): Promise<pg.PoolClient | undefined> {
    const outcomes: Outcome[] = [];
    let client = held;
    let tx: Tx | undefined;
    try {
      client ??= await database.pool.connect();
      // Round trips are the cost here: each one waits for the server and then for a turn of this process's busy
      // event loop. So the transaction's control statements are not awaited before the next change starts: on the
      // pool's pipelined connections (client.ts) they travel right ahead of that change's first statement. Each
      // one is awaited before its change's outcome is taken, so a failed one fails the batch, never a change.
      // A savepoint stays defined after ROLLBACK TO, and COMMIT releases the last one.
      let guard = sent(client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK}); SAVEPOINT change`));
      tx = openPgTx(database.bind(client));
      for (const [i, item] of batch.entries()) {
        const outcome = await settle(item.change, tx);
        await guard;
        outcomes.push(outcome);
        if (!outcome.ok) {
          // Only this change is undone; a connection that broke fails the ROLLBACK TO, and with it the batch.
          guard = sent(client.query('ROLLBACK TO SAVEPOINT change'));
          forgetMemo(tx);
        } else if (i < batch.length - 1) guard = sent(client.query('RELEASE SAVEPOINT change; SAVEPOINT change'));
      }
      await guard;
      closeTx(tx);
      await client.query('COMMIT');
    } catch (error) {
      // Nothing of the batch is known durable (a lost connection during COMMIT may have committed it: the caller
      // was not told "done", so it retries or reports the failure; no success is claimed for an unknown outcome).
      lastFailure = describeFailure(error);
      if (tx) closeTx(tx);
      if (client) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(true);
      }
      for (const item of batch) item.reject(error);
      return undefined;
    }
    lastFailure = undefined;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    return client;
  }

  async function drain(): Promise<void> {
    running = true;
    // The connection stays with the committer while changes keep coming: the next batch never waits for one
    // behind the pool's reads, which under load hold every other connection.
    let client: pg.PoolClient | undefined;
    while (queue.length > 0) client = await runBatch(queue.splice(0, maxBatch), client);
    client?.release();
    running = false;
  }

  function commit<T>(change: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ change, resolve: resolve as (v: unknown) => void, reject });
      // The changes of this event-loop turn join one batch: start after the turn's microtasks.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
  }

  return {
    commit,
    // txid_current() gives the transaction an id, so its COMMIT is a real WAL write (and fails on a read-only standby).
    probe: () => commit(async (tx) => void (await pgOf(tx).execute(sql`SELECT txid_current()`))),
    failure: () => lastFailure,
  };
}

async function settle(change: Pending['change'], tx: Tx): Promise<Outcome> {
  try {
    return { ok: true, value: await change(tx) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A statement in flight, awaited later: its failure is handled there, not reported as unhandled meanwhile. */
function sent(query: Promise<unknown>): Promise<unknown> {
  query.catch(() => undefined);
  return query;
}

/** A public line: the SQLSTATE of a server error, or that the server could not be reached. */
function describeFailure(error: unknown): string {
  const code = error instanceof pg.DatabaseError ? error.code : undefined;
  if (code) return `the last write failed (SQLSTATE ${code}); ready again once a write succeeds`;
  return 'the database cannot be reached; ready again once a write succeeds';
}
