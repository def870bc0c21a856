import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamAuthStateRow } from '../db/schema/upstream-auth-states.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { UpstreamAuthStateStore } from './auth-states.js';

/** What every connect-state engine must do: a state works once, in its browser, for its upstream, before expiry. */
export function describeUpstreamAuthStateStoreContract(name: string, makeStore: MakeStore<UpstreamAuthStateStore>): void {
  describe(`UpstreamAuthStateStore contract (${name})`, () => {
    let h: StoreHarness<UpstreamAuthStateStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const state = (stateHash: string, ttlMs = 600_000): UpstreamAuthStateRow => ({
      stateHash, upstreamId: 'records', bindingHash: 'browser-a', keyId: 'k1', codeVerifierSealed: `sealed-${stateHash}`,
      redirectUri: 'https://sts.example.edu/admin/upstreams/records/callback', actor: 'carol@example.edu', createdAt: h.clock.now(), expiresAt: new Date(h.clock.now().getTime() + ttlMs),
    });
    const add = (row: UpstreamAuthStateRow) => h.commit((tx) => h.store.add(tx, row, h.clock.now()));
    const consume = (stateHash: string, bindingHash = 'browser-a', upstreamId = 'records') => h.commit((tx) => h.store.consume(tx, { stateHash, upstreamId, bindingHash }, h.clock.now()));

    it('consumes a state once, only in its browser and for its upstream', async () => {
      await add(state('s1'));
      expect(await consume('s1', 'browser-b')).toBeUndefined();
      expect(await consume('s1', 'browser-a', 'other')).toBeUndefined();
      expect(await h.store.expiryOf('s1')).toEqual(state('s1').expiresAt);
      expect(await consume('s1')).toEqual(state('s1'));
      expect(await consume('s1')).toBeUndefined();
      expect(await h.store.expiryOf('s1')).toBeUndefined();
    });

    it('gives the state to exactly one of two concurrent callbacks', async () => {
      await add(state('s1'));
      expect((await Promise.all([consume('s1'), consume('s1')])).filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('refuses a state at its expiry (by the injected clock), and sweeps it when the next one is added', async () => {
      await add(state('s1', 60_000));
      h.clock.advance(60_000);
      expect(await consume('s1')).toBeUndefined();
      h.clock.advance(1);
      await add(state('s2'));
      expect(await h.store.expiryOf('s1')).toBeUndefined();
    });

    it('keeps nothing of a change that rolls back: neither the adding nor the consuming', async () => {
      await expect(h.commit(async (tx) => (await h.store.add(tx, state('s1'), h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.expiryOf('s1')).toBeUndefined();
      await add(state('s2'));
      await expect(h.commit(async (tx) => (await h.store.consume(tx, { stateHash: 's2', upstreamId: 'records', bindingHash: 'browser-a' }, h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await consume('s2')).toEqual(state('s2'));
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.add(leaked, state('s1'), h.clock.now())).rejects.toThrow(TxClosed);
      expect(await h.store.expiryOf('s1')).toBeUndefined();
    });
  });
}
