import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { signingKeys, type SigningKeyRow } from '../db/schema/signing-keys.js';
import { sqliteOf, type Tx } from '../db/tx.js';

/** Our signing key rows (private keys sealed). Contract: signing-keys.contract.ts. */
export interface SigningKeyStore {
  /** Every row, active and retired (the keystore caches them and keeps what is still published). */
  all(): Promise<SigningKeyRow[]>;
  /** The active key: as `tx` sees it when given (a write deciding whether to add one), else as committed. */
  active(tx?: Tx): Promise<SigningKeyRow | undefined>;
  add(tx: Tx, row: SigningKeyRow): Promise<void>;
  /** Retires `kid` if it is still the active key (one UPDATE … WHERE status = 'active'); false if it was not. */
  retire(tx: Tx, kid: string, retiredAt: Date, publishUntil: Date): Promise<boolean>;
}

export function createSigningKeyStore(db: Db): SigningKeyStore {
  // Read when the keystore's cache goes stale (every few seconds under load): prepared once.
  const all = db.select().from(signingKeys).prepare();
  const active = db.select().from(signingKeys).where(eq(signingKeys.status, 'active')).prepare();
  return {
    all: async () => all.all(),
    // One connection: the statement sees `tx`'s own writes; sqliteOf checks the transaction is still open.
    active: async (tx) => (tx && sqliteOf(tx), active.get()),
    async add(tx, row) {
      sqliteOf(tx).insert(signingKeys).values(row).run();
    },
    async retire(tx, kid, retiredAt, publishUntil) {
      const changed = sqliteOf(tx)
        .update(signingKeys)
        .set({ status: 'retired', retiredAt, publishUntil })
        .where(and(eq(signingKeys.kid, kid), eq(signingKeys.status, 'active')))
        .run().changes;
      return changed === 1;
    },
  };
}
