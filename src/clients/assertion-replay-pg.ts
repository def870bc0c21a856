import { usedClientAssertions } from '../db/schema-pg/used-client-assertions.js';
import { pgOf } from '../db/tx.js';
import type { ClientAssertionStore } from './assertion-replay.js';

/**
 * ClientAssertionStore on PostgreSQL (contract: assertion-replay.contract.ts): a `jti` is marked used by one
 * INSERT … ON CONFLICT DO NOTHING RETURNING, so of any number of instances exactly one accepts it. Writes go
 * through the caller's transaction only; `db` is taken so both engines are built alike.
 */
export function createPgClientAssertionStore(): ClientAssertionStore {
  return {
    async consume(tx, { key, clientId, expiresAt }) {
      const inserted = await pgOf(tx).insert(usedClientAssertions).values({ key, clientId, expiresAt }).onConflictDoNothing().returning({ key: usedClientAssertions.key });
      return inserted.length === 1;
    },
  };
}
