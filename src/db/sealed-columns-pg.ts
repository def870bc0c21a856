import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { sealedKeyId } from '../core/sealed-box.js';
import type { PgDb } from './pg/client.js';
import { launchCodes } from './schema-pg/launch-codes.js';
import { serviceSecrets } from './schema-pg/service-secrets.js';
import { signingKeys } from './schema-pg/signing-keys.js';
import { upstreamAuthStates } from './schema-pg/upstream-auth-states.js';
import { staleValues, type MasterKeyResealStore, type SealedTable } from './sealed-columns.js';
import { pgOf } from './tx.js';

interface SealedColumn {
  all(): Promise<{ key: string; sealed: string }[]>;
  /** The keys of the rows it changed: one, or none when the row is gone. */
  write(on: PgDb, key: string, sealed: string): Promise<unknown[]>;
}

/** MasterKeyResealStore on PostgreSQL (contract: sealed-columns.contract.ts): the same columns, read through the pool. */
export function createPgMasterKeyResealStore(db: PgDb): MasterKeyResealStore {
  const tables: Record<SealedTable, SealedColumn> = {
    signing_keys: {
      all: () => db.select({ key: signingKeys.kid, sealed: signingKeys.privateJwkSealed }).from(signingKeys),
      write: (on, key, sealed) => on.update(signingKeys).set({ privateJwkSealed: sealed }).where(eq(signingKeys.kid, key)).returning({ key: signingKeys.kid }),
    },
    service_secrets: {
      all: () => db.select({ key: serviceSecrets.name, sealed: serviceSecrets.sealed }).from(serviceSecrets),
      write: (on, key, sealed) => on.update(serviceSecrets).set({ sealed }).where(eq(serviceSecrets.name, key)).returning({ key: serviceSecrets.name }),
    },
    // A redeemed code's payload is gone (NULL): nothing to re-seal, and a re-seal must not bring it back.
    launch_codes: {
      all: () => db.select({ key: launchCodes.codeHash, sealed: sql<string>`${launchCodes.payloadSealed}` }).from(launchCodes).where(isNotNull(launchCodes.payloadSealed)),
      write: (on, key, sealed) => on.update(launchCodes).set({ payloadSealed: sealed }).where(and(eq(launchCodes.codeHash, key), isNotNull(launchCodes.payloadSealed))).returning({ key: launchCodes.codeHash }),
    },
    upstream_auth_states: {
      all: () => db.select({ key: upstreamAuthStates.stateHash, sealed: upstreamAuthStates.codeVerifierSealed }).from(upstreamAuthStates),
      write: (on, key, sealed) =>
        on
          .update(upstreamAuthStates)
          .set({ codeVerifierSealed: sealed, keyId: sealedKeyId(sealed) ?? '' })
          .where(eq(upstreamAuthStates.stateHash, key))
          .returning({ key: upstreamAuthStates.stateHash }),
    },
  };
  return {
    stale: async (table, keyId) => staleValues(table, await tables[table].all(), keyId),
    reseal: async (tx, value, sealed) => (await tables[value.table].write(pgOf(tx), value.key, sealed)).length === 1,
  };
}
