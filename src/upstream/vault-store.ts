import { and, eq, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { open, seal, type MasterKeyring } from '../core/sealed-box.js';
import type { Db } from '../db/client.js';
import { upstreamConnections, type UpstreamConnectionRow } from '../db/schema/upstream-connections.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/**
 * The vault's storage: the `upstream_connections` rows, with tokens sealed and opened here and nowhere else.
 * Every write takes the caller's transaction (a decision's audit row goes in the same one); the lease is one
 * conditional UPDATE. Contract: vault-store.contract.ts.
 */

/** A connection with its tokens opened (in memory only, never logged). */
export interface OpenedConnection {
  upstreamId: string;
  status: UpstreamConnectionRow['status'];
  accessToken: string | undefined;
  refreshToken: string | undefined;
  accessExpiresAt: Date | null;
  accessObtainedAt: Date | null;
  scope: string | null;
  accessUrl: string | null;
  version: number;
}

export interface TokenWrite {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  expiresIn?: number | undefined;
  scope?: string | undefined;
  accessUrl?: string | undefined;
  seedHash?: string;
  /** A new connection (an admin's authorization, a seed, a first client-credentials token): `connected_at` = now. */
  fresh?: boolean;
}

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

const aad = (id: string, column: 'access_token' | 'refresh_token') => `upstream_connections:${id}:${column}`;

// long: closure scope: the prepared query and sealing helper are shared by the store's methods (one per operation).
export function createConnectionStore(db: Db, keyring: MasterKeyring): ConnectionStore {
  const sealed = (id: string, column: 'access_token' | 'refresh_token', value: string | undefined) => (value === undefined ? null : seal(keyring, value, aad(id, column)));
  // Read on every proxied call: prepared once.
  const byId = db.select().from(upstreamConnections).where(eq(upstreamConnections.upstreamId, sql.placeholder('id'))).prepare();

  return {
    // One connection: the statement sees `tx`'s own writes; sqliteOf checks the transaction is still open.
    row: async (id, tx) => (tx && sqliteOf(tx), byId.get({ id })),

    rows: async () => db.select().from(upstreamConnections).all(),

    async read(id) {
      const row = byId.get({ id });
      if (!row) return undefined;
      return {
        upstreamId: row.upstreamId,
        status: row.status,
        accessToken: row.accessTokenSealed ? open(keyring, row.accessTokenSealed, aad(id, 'access_token')) : undefined,
        refreshToken: row.refreshTokenSealed ? open(keyring, row.refreshTokenSealed, aad(id, 'refresh_token')) : undefined,
        accessExpiresAt: row.accessExpiresAt,
        accessObtainedAt: row.accessObtainedAt,
        scope: row.scope,
        accessUrl: row.accessUrl,
        version: row.version,
      };
    },

    async writeTokens(tx, id, tokens, now) {
      const values = {
        status: 'connected' as const,
        keyId: keyring.current.id,
        accessTokenSealed: sealed(id, 'access_token', tokens.accessToken),
        refreshTokenSealed: sealed(id, 'refresh_token', tokens.refreshToken),
        accessExpiresAt: tokens.accessToken && tokens.expiresIn !== undefined ? new Date(now.getTime() + tokens.expiresIn * 1000) : null,
        accessObtainedAt: tokens.accessToken ? now : null,
        scope: tokens.scope ?? null,
        accessUrl: tokens.accessUrl ?? null,
        leaseOwner: null,
        leaseUntil: null,
        lastError: null,
        lastErrorAt: null,
        updatedAt: now,
      };
      const seed = { ...(tokens.seedHash === undefined ? {} : { seedHash: tokens.seedHash }), ...(tokens.fresh ? { connectedAt: now } : {}) };
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
          .set({
            status: 'disconnected',
            accessTokenSealed: null,
            refreshTokenSealed: null,
            accessExpiresAt: null,
            accessObtainedAt: null,
            leaseOwner: null,
            leaseUntil: null,
            lastError: note,
            lastErrorAt: note ? now : null,
            version: sql`${upstreamConnections.version} + 1`,
            updatedAt: now,
          })
          .where(and(eq(upstreamConnections.upstreamId, id), ne(upstreamConnections.status, 'disconnected')))
          .run().changes === 1
      );
    },

    async reseal(tx, row) {
      const id = row.upstreamId;
      const again = (value: string | null, column: 'access_token' | 'refresh_token') => (value === null ? null : seal(keyring, open(keyring, value, aad(id, column)), aad(id, column)));
      return (
        sqliteOf(tx)
          .update(upstreamConnections)
          .set({ keyId: keyring.current.id, accessTokenSealed: again(row.accessTokenSealed, 'access_token'), refreshTokenSealed: again(row.refreshTokenSealed, 'refresh_token') })
          .where(and(eq(upstreamConnections.upstreamId, id), eq(upstreamConnections.version, row.version)))
          .run().changes === 1
      );
    },
  };
}
