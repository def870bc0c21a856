import { eq, lt, or } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { adminSessions } from '../db/schema-pg/admin-sessions.js';
import { pgOf } from '../db/tx.js';
import type { AdminSessionStore } from './sessions.js';

/** AdminSessionStore on PostgreSQL (contract: sessions.contract.ts): a session ends by one DELETE … RETURNING. */
export function createPgAdminSessionStore(db: PgDb): AdminSessionStore {
  return {
    async add(tx, row, now) {
      const conn = pgOf(tx);
      await conn.delete(adminSessions).where(or(lt(adminSessions.expiresAt, now), lt(adminSessions.idleExpiresAt, now)));
      await conn.insert(adminSessions).values(row);
    },
    async find(idHash) {
      const [row] = await db.select().from(adminSessions).where(eq(adminSessions.idHash, idHash));
      return row;
    },
    async touch(tx, idHash, lastSeenAt, idleExpiresAt) {
      await pgOf(tx).update(adminSessions).set({ lastSeenAt, idleExpiresAt }).where(eq(adminSessions.idHash, idHash));
    },
    async remove(tx, idHash) {
      const removed = await pgOf(tx).delete(adminSessions).where(eq(adminSessions.idHash, idHash)).returning({ idHash: adminSessions.idHash });
      return removed.length === 1;
    },
  };
}
