import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { sealedKeyId } from '../core/sealed-box.js';
import type { Db } from './client.js';
import { launchCodes } from './schema/launch-codes.js';
import { serviceSecrets } from './schema/service-secrets.js';
import { signingKeys } from './schema/signing-keys.js';
import { upstreamAuthStates } from './schema/upstream-auth-states.js';
import { sqliteOf, type Tx } from './tx.js';

/** The tables with one sealed column each (upstream connections re-seal through their own store). */
export const SEALED_TABLES = ['signing_keys', 'service_secrets', 'launch_codes', 'upstream_auth_states'] as const;
export type SealedTable = (typeof SEALED_TABLES)[number];

/** One sealed value: its table, the row's key (also what its AAD is made from), and the value as stored. */
export interface SealedValue {
  table: SealedTable;
  key: string;
  sealed: string;
}

/**
 * What `keys rotate-master` reads and writes besides upstream connections: the sealed columns, as stored. It
 * never opens or seals (the caller holds the keyring). Contract: sealed-columns.contract.ts.
 */
export interface MasterKeyResealStore {
  /** The values of `table` whose key id is not `keyId` (sealed under an older, or an unknown, master key). */
  stale(table: SealedTable, keyId: string): Promise<SealedValue[]>;
  /** Stores `sealed` in place of `value` (and the row's key id, where it keeps one) in `tx`; false when the row is gone. */
  reseal(tx: Tx, value: SealedValue, sealed: string): Promise<boolean>;
}

/** Of one table's stored values, those not sealed under `keyId`: what both engines' `stale` answers. */
export function staleValues(table: SealedTable, rows: readonly { key: string; sealed: string }[], keyId: string): SealedValue[] {
  return rows.filter((r) => sealedKeyId(r.sealed) !== keyId).map((r) => ({ table, ...r }));
}

export function createMasterKeyResealStore(db: Db): MasterKeyResealStore {
  const tables: Record<SealedTable, { all(): { key: string; sealed: string }[]; write(on: Db, key: string, sealed: string): number }> = {
    signing_keys: {
      all: () => db.select({ key: signingKeys.kid, sealed: signingKeys.privateJwkSealed }).from(signingKeys).all(),
      write: (on, key, sealed) => on.update(signingKeys).set({ privateJwkSealed: sealed }).where(eq(signingKeys.kid, key)).run().changes,
    },
    service_secrets: {
      all: () => db.select({ key: serviceSecrets.name, sealed: serviceSecrets.sealed }).from(serviceSecrets).all(),
      write: (on, key, sealed) => on.update(serviceSecrets).set({ sealed }).where(eq(serviceSecrets.name, key)).run().changes,
    },
    // A redeemed code's payload is gone (NULL): nothing to re-seal, and a re-seal must not bring it back.
    launch_codes: {
      all: () => db.select({ key: launchCodes.codeHash, sealed: sql<string>`${launchCodes.payloadSealed}` }).from(launchCodes).where(isNotNull(launchCodes.payloadSealed)).all(),
      write: (on, key, sealed) => on.update(launchCodes).set({ payloadSealed: sealed }).where(and(eq(launchCodes.codeHash, key), isNotNull(launchCodes.payloadSealed))).run().changes,
    },
    upstream_auth_states: {
      all: () => db.select({ key: upstreamAuthStates.stateHash, sealed: upstreamAuthStates.codeVerifierSealed }).from(upstreamAuthStates).all(),
      write: (on, key, sealed) =>
        on.update(upstreamAuthStates).set({ codeVerifierSealed: sealed, keyId: sealedKeyId(sealed) ?? '' }).where(eq(upstreamAuthStates.stateHash, key)).run().changes,
    },
  };
  return {
    stale: async (table, keyId) => staleValues(table, tables[table].all(), keyId),
    reseal: async (tx, value, sealed) => tables[value.table].write(sqliteOf(tx), value.key, sealed) === 1,
  };
}
