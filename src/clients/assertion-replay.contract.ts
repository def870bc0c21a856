import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { ClientAssertionStore } from './assertion-replay.js';

/**
 * What every client-assertion engine must do: a `jti` is accepted once (RFC 7523 §3 item 7), also under
 * concurrency, and stays usable when the change that consumed it rolls back. (Expiry: an expired assertion is
 * refused by its `exp` before it reaches this store; its row is pruned afterwards.)
 */
export function describeClientAssertionStoreContract(name: string, makeStore: MakeStore<ClientAssertionStore>): void {
  describe(`ClientAssertionStore contract (${name})`, () => {
    let h: StoreHarness<ClientAssertionStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const assertion = (key: string) => ({ key, clientId: 'gamma', expiresAt: new Date(h.clock.now().getTime() + 60_000) });
    const consume = (key: string) => h.commit((tx) => h.store.consume(tx, assertion(key)));

    it('accepts a jti once', async () => {
      expect(await consume('k1')).toBe(true);
      expect(await consume('k1')).toBe(false);
      expect(await consume('k2')).toBe(true);
    });

    it('accepts exactly one of two concurrent uses', async () => {
      expect((await Promise.all([consume('k1'), consume('k1')])).sort()).toEqual([false, true]);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.consume(tx, assertion('k1')), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await consume('k1')).toBe(true);
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.consume(leaked, assertion('k1'))).rejects.toThrow(TxClosed);
      expect(await consume('k1')).toBe(true);
    });
  });
}
