import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { usedClientAssertions } from '../db/schema/used-client-assertions.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import type { OneTimeAssertion } from './authenticate.js';

/** Used private_key_jwt assertion `jti`s (RFC 7523 §3 item 7). Contract: assertion-replay.contract.ts. */
export interface ClientAssertionStore {
  /** Marks the assertion used in the caller's transaction; false when it already was. One statement: no check-then-act window. */
  consume(tx: Tx, assertion: OneTimeAssertion): Promise<boolean>;
}

export function createClientAssertionStore(db: Db): ClientAssertionStore {
  const insert = db
    .insert(usedClientAssertions)
    .values({ key: sql.placeholder('key'), clientId: sql.placeholder('clientId'), expiresAt: sql.placeholder('expiresAt') })
    .onConflictDoNothing()
    .prepare();
  return {
    async consume(tx, assertion) {
      sqliteOf(tx);
      return insert.run({ key: assertion.key, clientId: assertion.clientId, expiresAt: assertion.expiresAt }).changes === 1;
    },
  };
}
