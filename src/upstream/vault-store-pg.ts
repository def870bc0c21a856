import { and, eq, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { MasterKeyring } from '../core/sealed-box.js';
import type { PgDb } from '../db/pg/client.js';
import { upstreamConnections } from '../db/schema-pg/upstream-connections.js';
import { pgOf } from '../db/tx.js';
import { createConnectionOpener, disconnectedColumns, resealedColumns, tokenColumns } from './vault-sealing.js';
import type { ConnectionStore } from './vault-store.js';

/**
 * ConnectionStore on PostgreSQL (contract: vault-store.contract.ts). Each decision is one statement that says
 * whether it happened (… RETURNING): the lease is taken by one conditional UPDATE, so of two instances racing
 * for it exactly one gets a row back, whatever their transactions' timing (READ COMMITTED re-checks the WHERE
 * on the row a concurrent UPDATE left).
 */
// long: one short method per operation of the interface, sharing the pool and the keyring.
export function createPgConnectionStore(db: PgDb, keyring: MasterKeyring): ConnectionStore {
  const byId = async (on: PgDb, id: string) => (await on.select().from(upstreamConnections).where(eq(upstreamConnections.upstreamId, id)))[0];
  const openRow = createConnectionOpener(keyring);

  return {
    // Inside `tx`: its own connection, so the caller sees its own uncommitted write.
    row: (id, tx) => byId(tx ? pgOf(tx) : db, id),

    rows: () => db.select().from(upstreamConnections).orderBy(upstreamConnections.upstreamId),

    async read(id) {
      const row = await byId(db, id);
      return row && openRow(row);
    },

    async writeTokens(tx, id, tokens, now) {
      const { values, seed } = tokenColumns(keyring, id, tokens, now);
      const [row] = await pgOf(tx)
        .insert(upstreamConnections)
        .values({ upstreamId: id, ...values, ...seed, version: 1, connectedAt: now })
        .onConflictDoUpdate({ target: upstreamConnections.upstreamId, set: { ...values, ...seed, version: sql`${upstreamConnections.version} + 1` } })
        .returning({ version: upstreamConnections.version });
      return row!.version;
    },

    async tryLease(tx, id, version, owner, now, until) {
      const taken = await pgOf(tx)
        .update(upstreamConnections)
        .set({ leaseOwner: owner, leaseUntil: until })
        .where(
          and(
            eq(upstreamConnections.upstreamId, id),
            eq(upstreamConnections.version, version),
            or(isNull(upstreamConnections.leaseUntil), lte(upstreamConnections.leaseUntil, now), eq(upstreamConnections.leaseOwner, owner)),
          ),
        )
        .returning({ id: upstreamConnections.upstreamId });
      return taken.length === 1;
    },

    async tryCreateLeased(tx, id, owner, now, until) {
      const created = await pgOf(tx)
        .insert(upstreamConnections)
        .values({ upstreamId: id, status: 'connected', keyId: keyring.current.id, version: 0, leaseOwner: owner, leaseUntil: until, updatedAt: now })
        .onConflictDoNothing()
        .returning({ id: upstreamConnections.upstreamId });
      return created.length === 1;
    },

    async recordError(tx, id, owner, error, now) {
      await pgOf(tx)
        .update(upstreamConnections)
        .set({ lastError: error, lastErrorAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where(and(eq(upstreamConnections.upstreamId, id), or(isNull(upstreamConnections.leaseOwner), eq(upstreamConnections.leaseOwner, owner))));
    },

    async markNeedsReauth(tx, id, error, now) {
      await pgOf(tx)
        .update(upstreamConnections)
        .set({ status: 'needs_reauth', lastError: error, lastErrorAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where(eq(upstreamConnections.upstreamId, id));
    },

    async disconnect(tx, id, note, now) {
      const changed = await pgOf(tx)
        .update(upstreamConnections)
        .set({ ...disconnectedColumns(note, now), version: sql`${upstreamConnections.version} + 1` })
        .where(and(eq(upstreamConnections.upstreamId, id), ne(upstreamConnections.status, 'disconnected')))
        .returning({ id: upstreamConnections.upstreamId });
      return changed.length === 1;
    },

    async reseal(tx, row) {
      const changed = await pgOf(tx)
        .update(upstreamConnections)
        .set(resealedColumns(keyring, row))
        .where(and(eq(upstreamConnections.upstreamId, row.upstreamId), eq(upstreamConnections.version, row.version)))
        .returning({ id: upstreamConnections.upstreamId });
      return changed.length === 1;
    },
  };
}
