import type { Db } from './client.js';
import type { PgDb } from './pg/client.js';

/**
 * An open write transaction, as stores see it. Opaque: the brand is a module-private unique symbol, so no code
 * outside db/ can make one (`{} as Tx` aside, which `sqliteOf` refuses at run time). Only the group committer
 * opens one, for the span of its transaction, and closes it at COMMIT or ROLLBACK; a store method that takes a
 * `Tx` runs its statements in that transaction or throws. This is what makes "the audit row is in the caller's
 * transaction" a property of the types rather than a convention.
 */
declare const brand: unique symbol;
export interface Tx {
  readonly [brand]: 'Tx';
}

/** A Tx used outside its transaction (after COMMIT/ROLLBACK, or one not made by the committer): a programming error. */
export class TxClosed extends Error {}

/** The SQLite engine's transaction handle: one connection, so the handle only says whether it is still open. */
class SqliteTx {
  open = true;
  constructor(readonly db: Db) {}
}

/** For the group committer only: the handle of the transaction it has just begun on `db`'s connection. */
export function openSqliteTx(db: Db): Tx {
  return new SqliteTx(db) as unknown as Tx;
}

/**
 * The PostgreSQL engine's transaction handle: drizzle bound to the one pooled connection the committer has
 * begun the transaction on (other connections of the pool are other transactions).
 */
class PgTx {
  open = true;
  /** Values a store derived inside this transaction (the audit chain's head); emptied when a change rolls back. */
  readonly memo = new Map<symbol, unknown>();
  constructor(readonly db: PgDb) {}
}

/** For the PostgreSQL group committer only: the handle of the transaction it has just begun on `db`'s connection. */
export function openPgTx(db: PgDb): Tx {
  return new PgTx(db) as unknown as Tx;
}

/** For the group committers only: the transaction has ended; the handle refuses every further use. */
export function closeTx(tx: Tx): void {
  (tx as unknown as SqliteTx | PgTx).open = false;
}

/**
 * The connection a SQLite store runs `tx`'s statements on. better-sqlite3 has one connection, so a statement
 * prepared on it runs inside whatever transaction is open there: this check is what ties the statement to the
 * caller's transaction. Throws for a closed handle or one that is not a SQLite transaction.
 */
export function sqliteOf(tx: Tx): Db {
  if (!(tx instanceof SqliteTx)) throw new TxClosed('not a transaction of the SQLite group committer');
  if (!tx.open) throw new TxClosed('the transaction has ended: a Tx is only valid inside the change it was given to');
  return tx.db;
}

/** The connection (as drizzle) a PostgreSQL store runs `tx`'s statements on; throws as `sqliteOf` does. */
export function pgOf(tx: Tx): PgDb {
  if (!(tx instanceof PgTx)) throw new TxClosed('not a transaction of the PostgreSQL group committer');
  if (!tx.open) throw new TxClosed('the transaction has ended: a Tx is only valid inside the change it was given to');
  return tx.db;
}

/**
 * What stores remember within one PostgreSQL transaction (a value read once per transaction instead of once per
 * change, saving a round trip under the write lock). Valid until a change rolls back: the committer then forgets it.
 */
export function pgMemo(tx: Tx): Map<symbol, unknown> {
  pgOf(tx);
  return (tx as unknown as PgTx).memo;
}

/** For the PostgreSQL group committer only: a change rolled back, so what stores remembered may be undone too. */
export function forgetMemo(tx: Tx): void {
  (tx as unknown as PgTx).memo.clear();
}
