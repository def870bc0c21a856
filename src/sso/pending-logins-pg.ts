import { and, eq, gt } from 'drizzle-orm';
import { samlRequests } from '../db/schema-pg/saml-requests.js';
import type { PgDb } from '../db/pg/client.js';
import { pgOf } from '../db/tx.js';
import type { PendingLoginStore } from './pending-logins.js';

/** PendingLoginStore on PostgreSQL (contract: pending-logins.contract.ts): consumed by one DELETE … RETURNING. */
export function createPgPendingLogins(db: PgDb): PendingLoginStore {
  const live = (id: string, bindingHash: string, now: Date) => and(eq(samlRequests.id, id), eq(samlRequests.bindingHash, bindingHash), gt(samlRequests.expiresAt, now));
  return {
    async remember(tx, login) {
      await pgOf(tx).insert(samlRequests).values(login);
    },
    async find(id, bindingHash, now) {
      const [row] = await db.select().from(samlRequests).where(live(id, bindingHash, now));
      return row;
    },
    async consume(tx, id, bindingHash, now) {
      const [row] = await pgOf(tx).delete(samlRequests).where(live(id, bindingHash, now)).returning();
      return row;
    },
  };
}
