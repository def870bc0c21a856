import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from './sqlite-harness.contract.js';
import { SEALED_TABLES, type MasterKeyResealStore, type SealedTable } from './sealed-columns.js';
import { TxClosed, type Tx } from './tx.js';

/** The store, and a way to put a row with a given sealed value in each table (engine-specific, like its rows). */
export interface ResealHarness {
  store: MasterKeyResealStore;
  seed(tx: Tx, table: SealedTable, key: string, sealed: string): Promise<void>;
  /** A launch code already redeemed: its payload dropped (NULL). */
  seedRedeemedLaunchCode(tx: Tx, key: string): Promise<void>;
}

/** The store never opens a value: any text in the sealed format (`v1.<key id>.…`) will do here. */
const sealedUnder = (keyId: string, n: number) => `v1.${keyId}.iv${n}.ct${n}.tag${n}`;

/** What every engine must do for `keys rotate-master`: list what is sealed under another key, replace it in `tx`. */
export function describeMasterKeyResealStoreContract(name: string, makeStore: MakeStore<ResealHarness>): void {
  describe(`MasterKeyResealStore contract (${name})`, () => {
    let h: StoreHarness<ResealHarness>;
    beforeEach(async () => {
      h = await makeStore();
      await h.commit(async (tx) => {
        for (const table of SEALED_TABLES) {
          await h.store.seed(tx, table, `${table}-old`, sealedUnder('old', 1));
          await h.store.seed(tx, table, `${table}-new`, sealedUnder('new', 2));
        }
      });
    });
    afterEach(() => h.close());

    it.each(SEALED_TABLES)('%s: lists the values under another key, and re-seals them in place', async (table) => {
      expect(await h.store.store.stale(table, 'new')).toEqual([{ table, key: `${table}-old`, sealed: sealedUnder('old', 1) }]);
      expect(await h.store.store.stale(table, 'old')).toEqual([{ table, key: `${table}-new`, sealed: sealedUnder('new', 2) }]);
      const [value] = await h.store.store.stale(table, 'new');
      expect(await h.commit((tx) => h.store.store.reseal(tx, value!, sealedUnder('new', 3)))).toBe(true);
      expect(await h.store.store.stale(table, 'new')).toEqual([]);
      expect((await h.store.store.stale(table, 'other')).map((v) => v.sealed).sort()).toEqual([sealedUnder('new', 2), sealedUnder('new', 3)]);
    });

    it('answers false for a row that is gone, and keeps nothing of a change that rolls back', async () => {
      expect(await h.commit((tx) => h.store.store.reseal(tx, { table: 'launch_codes', key: 'gone', sealed: sealedUnder('old', 1) }, sealedUnder('new', 3)))).toBe(false);
      const [value] = await h.store.store.stale('signing_keys', 'new');
      await expect(h.commit(async (tx) => (await h.store.store.reseal(tx, value!, sealedUnder('new', 3)), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.store.stale('signing_keys', 'new')).toEqual([value]);
    });

    it('neither lists nor re-seals the dropped payload of a redeemed launch code', async () => {
      await h.commit((tx) => h.store.seedRedeemedLaunchCode(tx, 'redeemed'));
      expect((await h.store.store.stale('launch_codes', 'other')).map((v) => v.key).sort()).toEqual(['launch_codes-new', 'launch_codes-old']);
      expect(await h.commit((tx) => h.store.store.reseal(tx, { table: 'launch_codes', key: 'redeemed', sealed: sealedUnder('old', 1) }, sealedUnder('new', 3)))).toBe(false);
      expect((await h.store.store.stale('launch_codes', 'other')).map((v) => v.key)).not.toContain('redeemed');
    });

    it('writes nothing through a transaction that has ended', async () => {
      const [value] = await h.store.store.stale('service_secrets', 'new');
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.store.reseal(leaked, value!, sealedUnder('new', 3))).rejects.toThrow(TxClosed);
      expect(await h.store.store.stale('service_secrets', 'new')).toEqual([value]);
    });
  });
}
