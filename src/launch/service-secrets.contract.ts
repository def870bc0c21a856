import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { ServiceSecretStore } from './service-secrets.js';

/** What every service-secret engine must do: the first value stored wins, for good, also under concurrency. */
export function describeServiceSecretStoreContract(name: string, makeStore: MakeStore<ServiceSecretStore>): void {
  describe(`ServiceSecretStore contract (${name})`, () => {
    let h: StoreHarness<ServiceSecretStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const getOrAdd = (sealed: string, secret = 'pairwise-subject') => h.commit((tx) => h.store.getOrAdd(tx, secret, sealed, h.clock.now()));

    it('keeps the first value of a secret, and each secret apart', async () => {
      expect(await getOrAdd('first')).toBe('first');
      expect(await getOrAdd('second')).toBe('first');
      expect(await getOrAdd('other', 'another-secret')).toBe('other');
    });

    it('gives two concurrent first callers the same value', async () => {
      const [a, b] = await Promise.all([getOrAdd('a'), getOrAdd('b')]);
      expect(a).toBe(b);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.getOrAdd(tx, 'pairwise-subject', 'rolled-back', h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await getOrAdd('kept')).toBe('kept');
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.getOrAdd(leaked, 'pairwise-subject', 'late', h.clock.now())).rejects.toThrow(TxClosed);
      expect(await getOrAdd('kept')).toBe('kept');
    });
  });
}
