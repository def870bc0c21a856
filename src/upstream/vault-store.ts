import { and, eq, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { MasterKeyring } from '../core/sealed-box.js';
import type { Db } from '../db/client.js';
import { upstreamConnections, type UpstreamConnectionRow } from '../db/schema/upstream-connections.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import { createConnectionOpener, disconnectedColumns, resealedColumns, tokenColumns, type OpenedConnection, type TokenWrite } from './vault-sealing.js';

/**
 * The vault's storage: the `upstream_connections` rows, with tokens sealed and opened (vault-sealing.ts) nowhere else.
 * Every write takes the caller's transaction (a decision's audit row goes in the same one); the lease is one
 * conditional UPDATE. Contract: vault-store.contract.ts.
 */

export type { OpenedConnection, TokenWrite } from './vault-sealing.js';

export interface ConnectionStore {
  /** The raw row (sealed): as `tx` sees it when given (a write deciding on it), else as committed. */
  row(id: string, tx?: Tx): Promise<UpstreamConnectionRow | undefined>;
  rows(): Promise<UpstreamConnectionRow[]>;
  /** The connection with its tokens opened. */
  read(id: string): Promise<OpenedConnection | undefined>;
  /**
   * Stores a token set (a connection, a refresh, a seed) with every token sealed under the current master key,
   * bumps `version`, clears the lease and the last error. Resolves to the new version.
   */
  writeTokens(tx: Tx, id: string, tokens: TokenWrite, now: Date): Promise<number>;
  /**
   * Takes the refresh lease: one UPDATE … WHERE, true when `owner` now holds it. It fails when the row changed
   * since `version` was read (someone refreshed) or another holder's lease has not yet run out.
   */
  tryLease(tx: Tx, id: string, version: number, owner: string, now: Date, until: Date): Promise<boolean>;
  /** A first client-credentials token: the row is created holding the lease (INSERT … ON CONFLICT DO NOTHING). */
  tryCreateLeased(tx: Tx, id: string, owner: string, now: Date, until: Date): Promise<boolean>;
  /** Records a failed refresh and lets `owner`'s lease go (someone may try again). */
  recordError(tx: Tx, id: string, owner: string, error: string, now: Date): Promise<void>;
  /** The grant is dead: no more refresh attempts until an admin reconnects (or a new seed is imported). */
  markNeedsReauth(tx: Tx, id: string, error: string, now: Date): Promise<void>;
  /** Forgets the tokens (the row stays, for `upstream status`); false when it was already disconnected. */
  disconnect(tx: Tx, id: string, note: string | null, now: Date): Promise<boolean>;
  /** Re-seals one row under the current key if it is unchanged since read (same plaintexts, same AADs). */
  reseal(tx: Tx, row: UpstreamConnectionRow): Promise<boolean>;
}

// long: closure scope: the prepared query is shared by the store's methods (one per operation).
export function createConnectionStore(db: Db, keyring: MasterKeyring): ConnectionStore {
  // Read on every proxied call: prepared once.
  const byId = db.select().from(upstreamConnections).where(eq(upstreamConnections.upstreamId, sql.placeholder('id'))).prepare();
  const openRow = createConnectionOpener(keyring);

  return {
    // One connection: the statement sees `tx`'s own writes; sqliteOf checks the transaction is still open.
    row: async (id, tx) => (tx && sqliteOf(tx), byId.get({ id })),

    rows: async () => db.select().from(upstreamConnections).all(),

    async read(id) {
      const row = byId.get({ id });
      return row && openRow(row);
    },

    async writeTokens(tx, id, tokens, now) {
      const { values, seed } = tokenColumns(keyring, id, tokens, now);
      const row = sqliteOf(tx)
        .insert(upstreamConnections)
        .values({ upstreamId: id, ...values, ...seed, version: 1, connectedAt: now })
        .onConflictDoUpdate({ target: upstreamConnections.upstreamId, set: { ...values, ...seed, version: sql`${upstreamConnections.version} + 1` } })
        .returning({ version: upstreamConnections.version })
        .get();
      return row.version;
    },

    async tryLease(tx, id, version, owner, now, until) {
      return (
        sqliteOf(tx)
          .update(upstreamConnections)
          .set({ leaseOwner: owner, leaseUntil: until })
          .where(
            and(
              eq(upstreamConnections.upstreamId, id),
              eq(upstreamConnections.version, version),
              or(isNull(upstreamConnections.leaseUntil), lte(upstreamConnections.leaseUntil, now), eq(upstreamConnections.leaseOwner, owner)),
            ),
          )
          .run().changes === 1
      );
    },

    async tryCreateLeased(tx, id, owner, now, until) {
      return (
        sqliteOf(tx)
          .insert(upstreamConnections)
          .values({ upstreamId: id, status: 'connected', keyId: keyring.current.id, version: 0, leaseOwner: owner, leaseUntil: until, updatedAt: now })
          .onConflictDoNothing()
          .run().changes === 1
      );
    },

    async recordError(tx, id, owner, error, now) {
      sqliteOf(tx).update(upstreamConnections)
        .set({ lastError: error, lastErrorAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where(and(eq(upstreamConnections.upstreamId, id), or(isNull(upstreamConnections.leaseOwner), eq(upstreamConnections.leaseOwner, owner))))
        .run();
    },

    async markNeedsReauth(tx, id, error, now) {
      sqliteOf(tx).update(upstreamConnections)
        .set({ status: 'needs_reauth', lastError: error, lastErrorAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where(eq(upstreamConnections.upstreamId, id))
        .run();
    },

    async disconnect(tx, id, note, now) {
      return (
        sqliteOf(tx)
          .update(upstreamConnections)
          .set({ ...disconnectedColumns(note, now), version: sql`${upstreamConnections.version} + 1` })
          .where(and(eq(upstreamConnections.upstreamId, id), ne(upstreamConnections.status, 'disconnected')))
          .run().changes === 1
      );
    },

    async reseal(tx, row) {
      return (
        sqliteOf(tx)
          .update(upstreamConnections)
          .set(resealedColumns(keyring, row))
          .where(and(eq(upstreamConnections.upstreamId, row.upstreamId), eq(upstreamConnections.version, row.version)))
          .run().changes === 1
      );
    },
  };
}
