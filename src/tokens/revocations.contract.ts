import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { RevocationStore } from './revocations.js';

/**
 * What every revocation engine must do: a revocation is seen by the next check, recorded once, and not at all
 * when its change rolls back. (Rows past the token's expiry are pruned elsewhere: an expired token is refused
 * for being expired, so this store has no clock of its own.)
 */
export function describeRevocationStoreContract(name: string, makeStore: MakeStore<RevocationStore>): void {
  describe(`RevocationStore contract (${name})`, () => {
    let h: StoreHarness<RevocationStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const entry = (jti: string) => ({ jti, clientId: 'alpha', revokedAt: h.clock.now(), expiresAt: new Date(h.clock.now().getTime() + 300_000) });
    const revoke = (jti: string) => h.commit((tx) => h.store.revoke(tx, entry(jti)));

    it('reports a revoked jti, and only that one; revoking again changes nothing', async () => {
      expect(await h.store.isRevoked('j1')).toBe(false);
      expect(await revoke('j1')).toBe(true);
      expect(await h.store.isRevoked('j1')).toBe(true);
      expect(await h.store.isRevoked('j2')).toBe(false);
      expect(await revoke('j1')).toBe(false);
    });

    it('records one of two concurrent revocations of the same jti as new', async () => {
      expect((await Promise.all([revoke('j1'), revoke('j1')])).sort()).toEqual([false, true]);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.revoke(tx, entry('j1')), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.isRevoked('j1')).toBe(false);
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.revoke(leaked, entry('j1'))).rejects.toThrow(TxClosed);
      expect(await h.store.isRevoked('j1')).toBe(false);
    });
  });
}
