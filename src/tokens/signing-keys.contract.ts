import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SigningKeyRow } from '../db/schema/signing-keys.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { SigningKeyStore } from './signing-keys.js';

/**
 * What every signing-key engine must do: one active key, decided inside the write that adds one (so two
 * instances starting together make one), retirement of the active key only, nothing of a rollback. (Expiry:
 * a retired key's `publishUntil` is read against the clock by the keystore, not here.)
 */
export function describeSigningKeyStoreContract(name: string, makeStore: MakeStore<SigningKeyStore>): void {
  describe(`SigningKeyStore contract (${name})`, () => {
    let h: StoreHarness<SigningKeyStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const key = (kid: string): SigningKeyRow => ({ kid, alg: 'ES256', publicJwk: `{"kid":"${kid}"}`, privateJwkSealed: `sealed-${kid}`, status: 'active', createdAt: h.clock.now(), retiredAt: null, publishUntil: null });
    /** As start-up does it: add a key unless the transaction already sees an active one. */
    const ensure = (kid: string) => h.commit(async (tx) => ((await h.store.active(tx)) ? false : (await h.store.add(tx, key(kid)), true)));

    it('adds, finds the active key, and retires it once', async () => {
      expect(await h.store.active()).toBeUndefined();
      await ensure('k1');
      expect(await h.store.active()).toEqual(key('k1'));
      const until = new Date(h.clock.now().getTime() + 600_000);
      expect(await h.commit((tx) => h.store.retire(tx, 'k1', h.clock.now(), until))).toBe(true);
      expect(await h.commit((tx) => h.store.retire(tx, 'k1', h.clock.now(), until))).toBe(false);
      expect(await h.store.active()).toBeUndefined();
      expect(await h.store.all()).toEqual([{ ...key('k1'), status: 'retired', retiredAt: h.clock.now(), publishUntil: until }]);
    });

    it('sees its own writes inside the transaction: of two concurrent first keys, one is added', async () => {
      expect((await Promise.all([ensure('k1'), ensure('k2')])).sort()).toEqual([false, true]);
      expect((await h.store.all()).filter((r) => r.status === 'active')).toHaveLength(1);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.add(tx, key('k1')), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.all()).toEqual([]);
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.add(leaked, key('k1'))).rejects.toThrow(TxClosed);
      await expect(h.store.active(leaked)).rejects.toThrow(TxClosed);
      expect(await h.store.all()).toEqual([]);
    });
  });
}
