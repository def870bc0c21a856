import { and, eq, gt, lt } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { upstreamAuthStates } from '../db/schema-pg/upstream-auth-states.js';
import { pgOf } from '../db/tx.js';
import type { UpstreamAuthStateStore } from './auth-states.js';

/** UpstreamAuthStateStore on PostgreSQL (contract: auth-states.contract.ts): a state is consumed by one DELETE … RETURNING. */
export function createPgUpstreamAuthStateStore(db: PgDb): UpstreamAuthStateStore {
  return {
    async add(tx, row, now) {
      const conn = pgOf(tx);
      await conn.delete(upstreamAuthStates).where(lt(upstreamAuthStates.expiresAt, now));
      await conn.insert(upstreamAuthStates).values(row);
    },
    async consume(tx, { stateHash, upstreamId, bindingHash }, now) {
      const [row] = await pgOf(tx)
        .delete(upstreamAuthStates)
        .where(and(eq(upstreamAuthStates.stateHash, stateHash), eq(upstreamAuthStates.upstreamId, upstreamId), eq(upstreamAuthStates.bindingHash, bindingHash), gt(upstreamAuthStates.expiresAt, now)))
        .returning();
      return row;
    },
    async expiryOf(stateHash) {
      const [row] = await db.select({ expiresAt: upstreamAuthStates.expiresAt }).from(upstreamAuthStates).where(eq(upstreamAuthStates.stateHash, stateHash));
      return row?.expiresAt;
    },
  };
}
