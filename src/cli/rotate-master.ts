import { eq } from 'drizzle-orm';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../db/client.js';
import { sqliteOf, type Tx } from '../db/tx.js';
import { launchCodes } from '../db/schema/launch-codes.js';
import { serviceSecrets } from '../db/schema/service-secrets.js';
import { signingKeys } from '../db/schema/signing-keys.js';
import { upstreamAuthStates } from '../db/schema/upstream-auth-states.js';
import { createConnectionStore } from '../upstream/vault-store.js';
import { open, seal, sealedKeyId, type MasterKeyring } from '../core/sealed-box.js';

/**
 * `campus-sts keys rotate-master`: re-seals every value sealed with a previous master key under the current
 * one, a batch per transaction, each batch with its `key.rotate_master` audit row. The keyring must hold both
 * keys (config `master_key.key_*` = the new key, `master_key.previous_key_*` = the old one); afterwards the
 * previous key can be removed from the config. Plaintexts and AADs are unchanged, so nothing else notices.
 */

interface SealedValue {
  key: string;
  sealed: string;
}

interface SealedTable {
  name: string;
  /** Values not sealed under `current` (ids from the sealed values themselves). */
  stale(current: string): Promise<SealedValue[]>;
  reseal(tx: Tx, value: SealedValue): Promise<boolean>;
}

function simpleTable<T extends Record<string, unknown>>(
  name: string,
  rows: () => T[],
  key: (row: T) => string,
  value: (row: T) => string,
  aad: (key: string) => string,
  write: (tx: Tx, key: string, sealed: string) => number,
  keyring: MasterKeyring,
): SealedTable {
  return {
    name,
    stale: async (current) => rows().filter((r) => sealedKeyId(value(r)) !== current).map((r) => ({ key: key(r), sealed: value(r) })),
    reseal: async (tx, v) => write(tx, v.key, seal(keyring, open(keyring, v.sealed, aad(v.key)), aad(v.key))) === 1,
  };
}

export interface RotationResult {
  keyId: string;
  previousKeyIds: string[];
  resealed: Record<string, number>;
  batches: number;
}

export async function rotateMasterKey(deps: { db: Db; keyring: MasterKeyring; audit: AuditLog; clock: Clock }, batchSize = 200): Promise<RotationResult> {
  const { db, keyring } = deps;
  const current = keyring.current.id;
  const store = createConnectionStore(db, keyring);
  const tables: SealedTable[] = [
    simpleTable('signing_keys', () => db.select().from(signingKeys).all(), (r) => r.kid, (r) => r.privateJwkSealed, (k) => `signing_keys:${k}`,
      (tx, k, s) => sqliteOf(tx).update(signingKeys).set({ privateJwkSealed: s }).where(eq(signingKeys.kid, k)).run().changes, keyring),
    simpleTable('service_secrets', () => db.select().from(serviceSecrets).all(), (r) => r.name, (r) => r.sealed, (k) => k,
      (tx, k, s) => sqliteOf(tx).update(serviceSecrets).set({ sealed: s }).where(eq(serviceSecrets.name, k)).run().changes, keyring),
    simpleTable('launch_codes', () => db.select().from(launchCodes).all(), (r) => r.codeHash, (r) => r.payloadSealed, (k) => `launch_codes:${k}`,
      (tx, k, s) => sqliteOf(tx).update(launchCodes).set({ payloadSealed: s }).where(eq(launchCodes.codeHash, k)).run().changes, keyring),
    simpleTable('upstream_auth_states', () => db.select().from(upstreamAuthStates).all(), (r) => r.stateHash, (r) => r.codeVerifierSealed, (k) => `upstream_auth_states:${k}`,
      (tx, k, s) => sqliteOf(tx).update(upstreamAuthStates).set({ codeVerifierSealed: s, keyId: current }).where(eq(upstreamAuthStates.stateHash, k)).run().changes, keyring),
    {
      name: 'upstream_connections',
      stale: async () =>
        (await store.rows())
          .filter((r) => r.keyId !== current || [r.accessTokenSealed, r.refreshTokenSealed].some((v) => v !== null && sealedKeyId(v) !== current))
          .map((r) => ({ key: r.upstreamId, sealed: r.accessTokenSealed ?? r.refreshTokenSealed ?? `v1.${r.keyId}` })),
      reseal: async (tx, v) => {
        const row = await store.row(v.key, tx);
        return row ? store.reseal(tx, row) : false;
      },
    },
  ];
  const total: Record<string, number> = {};
  const previous = new Set<string>();
  let batches = 0;
  for (;;) {
    const stale = await Promise.all(tables.map(async (t) => (await t.stale(current)).map((v) => ({ table: t, value: v }))));
    const batch = stale.flat().slice(0, batchSize);
    if (batch.length === 0) break;
    const counts: Record<string, number> = {};
    const ids = new Set<string>();
    await deps.audit.commit(async (tx) => {
      for (const { table, value } of batch) {
        const id = sealedKeyId(value.sealed);
        if (id && id !== current) ids.add(id);
        if (await table.reseal(tx, value)) counts[table.name] = (counts[table.name] ?? 0) + 1;
      }
      await deps.audit.append(tx, { event: 'key.rotate_master', outcome: 'success', data: { key_id: current, previous_key_ids: [...ids], resealed: counts } });
    });
    batches += 1;
    for (const [name, n] of Object.entries(counts)) total[name] = (total[name] ?? 0) + n;
    ids.forEach((id) => previous.add(id));
    // A batch that changed nothing (rows that moved under us) would loop forever; the next run picks them up.
    if (Object.keys(counts).length === 0) break;
  }
  return { keyId: current, previousKeyIds: [...previous], resealed: total, batches };
}
