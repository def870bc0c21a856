import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { serviceSecrets } from '../db/schema/service-secrets.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** Long-lived secrets the service makes for itself, sealed by the caller. Contract: service-secrets.contract.ts. */
export interface ServiceSecretStore {
  /**
   * The sealed value of secret `name`, storing `sealed` first when there is none (INSERT … ON CONFLICT DO
   * NOTHING, then a read in the same transaction): of two instances starting together, both get the first one.
   */
  getOrAdd(tx: Tx, name: string, sealed: string, now: Date): Promise<string>;
}

export function createServiceSecretStore(db: Db): ServiceSecretStore {
  const find = db.select({ sealed: serviceSecrets.sealed }).from(serviceSecrets).where(eq(serviceSecrets.name, sql.placeholder('name'))).prepare();
  return {
    async getOrAdd(tx, name, sealed, now) {
      sqliteOf(tx).insert(serviceSecrets).values({ name, sealed, createdAt: now }).onConflictDoNothing().run();
      return find.get({ name })!.sealed;
    },
  };
}
