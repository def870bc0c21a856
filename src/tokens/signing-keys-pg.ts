import { and, asc, eq } from 'drizzle-orm';
import type { PgDb } from '../db/pg/client.js';
import { signingKeys } from '../db/schema-pg/signing-keys.js';
import { pgOf } from '../db/tx.js';
import type { SigningKeyStore } from './signing-keys.js';

/** SigningKeyStore on PostgreSQL (contract: signing-keys.contract.ts). */
export function createPgSigningKeyStore(db: PgDb): SigningKeyStore {
  return {
    // Oldest first, as SQLite's rowid order gives them: the JWKS lists the keys in a stable order.
    all: () => db.select().from(signingKeys).orderBy(asc(signingKeys.createdAt), asc(signingKeys.kid)),
    async active(tx) {
      // Inside `tx`, the read runs on its connection after the write lock: it sees this transaction's own add and
      // every instance's committed one, so two instances starting together add one key.
      const [row] = await (tx ? pgOf(tx) : db).select().from(signingKeys).where(eq(signingKeys.status, 'active'));
      return row;
    },
    async add(tx, row) {
      await pgOf(tx).insert(signingKeys).values(row);
    },
    async retire(tx, kid, retiredAt, publishUntil) {
      const retired = await pgOf(tx)
        .update(signingKeys)
        .set({ status: 'retired', retiredAt, publishUntil })
        .where(and(eq(signingKeys.kid, kid), eq(signingKeys.status, 'active')))
        .returning({ kid: signingKeys.kid });
      return retired.length === 1;
    },
  };
}
