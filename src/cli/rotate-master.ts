import type { AuditLog } from '../audit/audit-log.js';
import { open, seal, sealedKeyId, type MasterKeyring } from '../core/sealed-box.js';
import { SEALED_TABLES, type MasterKeyResealStore, type SealedTable, type SealedValue } from '../db/sealed-columns.js';
import type { Tx } from '../db/tx.js';
import type { ConnectionStore } from '../upstream/vault-store.js';

/**
 * `campus-sts keys rotate-master`: re-seals every value sealed with a previous master key under the current
 * one, a batch per transaction, each batch with its `key.rotate_master` audit row. The keyring must hold both
 * keys (config `master_key.key_*` = the new key, `master_key.previous_key_*` = the old one); afterwards the
 * previous key can be removed from the config. Plaintexts and AADs are unchanged, so nothing else notices.
 */

/** A sealed column's AAD, as each store seals it (the re-sealed value must open where it did before). */
const AAD: Record<SealedTable, (key: string) => string> = {
  signing_keys: (k) => `signing_keys:${k}`,
  service_secrets: (k) => k,
  launch_codes: (k) => `launch_codes:${k}`,
  upstream_auth_states: (k) => `upstream_auth_states:${k}`,
};

interface Resealable {
  name: string;
  sealed: string;
  reseal(tx: Tx): Promise<boolean>;
}

export interface RotationResult {
  keyId: string;
  previousKeyIds: string[];
  resealed: Record<string, number>;
  batches: number;
}

export async function rotateMasterKey(
  deps: { sealedColumns: MasterKeyResealStore; connections: ConnectionStore; keyring: MasterKeyring; audit: AuditLog },
  batchSize = 200,
): Promise<RotationResult> {
  const { keyring, connections } = deps;
  const current = keyring.current.id;
  const reseal = (v: SealedValue) => (tx: Tx) => deps.sealedColumns.reseal(tx, v, seal(keyring, open(keyring, v.sealed, AAD[v.table](v.key)), AAD[v.table](v.key)));
  const stale = async (): Promise<Resealable[]> => [
    ...(await Promise.all(SEALED_TABLES.map((t) => deps.sealedColumns.stale(t, current))))
      .flat()
      .map((v) => ({ name: v.table, sealed: v.sealed, reseal: reseal(v) })),
    ...(await connections.rows())
      .filter((r) => r.keyId !== current || [r.accessTokenSealed, r.refreshTokenSealed].some((v) => v !== null && sealedKeyId(v) !== current))
      .map((r) => ({
        name: 'upstream_connections',
        sealed: r.accessTokenSealed ?? r.refreshTokenSealed ?? `v1.${r.keyId}`,
        reseal: async (tx: Tx) => {
          const row = await connections.row(r.upstreamId, tx);
          return row ? connections.reseal(tx, row) : false;
        },
      })),
  ];
  const total: Record<string, number> = {};
  const previous = new Set<string>();
  let batches = 0;
  for (;;) {
    const batch = (await stale()).slice(0, batchSize);
    if (batch.length === 0) break;
    const counts: Record<string, number> = {};
    const ids = new Set<string>();
    await deps.audit.commit(async (tx) => {
      for (const value of batch) {
        const id = sealedKeyId(value.sealed);
        if (id && id !== current) ids.add(id);
        if (await value.reseal(tx)) counts[value.name] = (counts[value.name] ?? 0) + 1;
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
