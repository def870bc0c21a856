import { and, eq, gt } from 'drizzle-orm';
import { samlRequests } from '../db/schema-pg/saml-requests.js';
import type { PgDb } from '../db/pg/client.js';
import { pgOf } from '../db/tx.js';
import type { PendingLoginStore } from './pending-logins.js';

/** PendingLoginStore on PostgreSQL (contract: pending-logins.contract.ts): consumed by one DELETE … RETURNING. */
export function createPgPendingLogins(db: PgDb): PendingLoginStore {
  const mine = (id: string, bindingHash: string) => and(eq(samlRequests.id, id), eq(samlRequests.bindingHash, bindingHash));
  return {
    async remember(tx, login) {
      await pgOf(tx).insert(samlRequests).values(login);
    },
    async find(id, bindingHash) {
      const [row] = await db.select().from(samlRequests).where(mine(id, bindingHash));
      return row;
    },
    async consume(tx, id, bindingHash, now) {
      const [row] = await pgOf(tx).delete(samlRequests).where(and(mine(id, bindingHash), gt(samlRequests.expiresAt, now))).returning();
      return row;
    },
  };
}
