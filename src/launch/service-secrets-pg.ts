import { eq } from 'drizzle-orm';
import { serviceSecrets } from '../db/schema-pg/service-secrets.js';
import { pgOf } from '../db/tx.js';
import type { ServiceSecretStore } from './service-secrets.js';

/** ServiceSecretStore on PostgreSQL (contract: service-secrets.contract.ts). */
export function createPgServiceSecretStore(): ServiceSecretStore {
  return {
    async getOrAdd(tx, name, sealed, now) {
      const conn = pgOf(tx);
      // The read runs in `tx` too: it sees this transaction's insert, or the row another instance committed first.
      await conn.insert(serviceSecrets).values({ name, sealed, createdAt: now }).onConflictDoNothing();
      const [row] = await conn.select({ sealed: serviceSecrets.sealed }).from(serviceSecrets).where(eq(serviceSecrets.name, name));
      return row!.sealed;
    },
  };
}
