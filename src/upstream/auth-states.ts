import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { upstreamAuthStates, type UpstreamAuthStateRow } from '../db/schema/upstream-auth-states.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** Pending admin connect flows (RFC 6749 §4.1 + PKCE), keyed by sha256 of `state`. Contract: auth-states.contract.ts. */
export interface UpstreamAuthStateStore {
  /** Adds a state and deletes every one expired at `now`. */
  add(tx: Tx, row: UpstreamAuthStateRow, now: Date): Promise<void>;
  /**
   * Consumes the state in one DELETE … RETURNING, only for this upstream and browser (`bindingHash`) and before
   * it expires: it can never be used twice.
   */
  consume(tx: Tx, state: { stateHash: string; upstreamId: string; bindingHash: string }, now: Date): Promise<UpstreamAuthStateRow | undefined>;
  /** When a state that did not match expires (to tell the admin why), or undefined for no such state. */
  expiryOf(stateHash: string): Promise<Date | undefined>;
}

export function createUpstreamAuthStateStore(db: Db): UpstreamAuthStateStore {
  const expiry = db.select({ expiresAt: upstreamAuthStates.expiresAt }).from(upstreamAuthStates).where(eq(upstreamAuthStates.stateHash, sql.placeholder('stateHash'))).prepare();
  return {
    async add(tx, row, now) {
      const conn = sqliteOf(tx);
      conn.delete(upstreamAuthStates).where(lt(upstreamAuthStates.expiresAt, now)).run();
      conn.insert(upstreamAuthStates).values(row).run();
    },
    consume: async (tx, { stateHash, upstreamId, bindingHash }, now) =>
      sqliteOf(tx)
        .delete(upstreamAuthStates)
        .where(and(eq(upstreamAuthStates.stateHash, stateHash), eq(upstreamAuthStates.upstreamId, upstreamId), eq(upstreamAuthStates.bindingHash, bindingHash), gt(upstreamAuthStates.expiresAt, now)))
        .returning()
        .get(),
    expiryOf: async (stateHash) => expiry.get({ stateHash })?.expiresAt,
  };
}
