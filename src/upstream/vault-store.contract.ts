import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { ConnectionStore, TokenWrite } from './vault-store.js';

const TOKENS: TokenWrite = { accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 3600, scope: 'read', fresh: true };

/**
 * What every upstream-vault engine must do: tokens stored and read back opened, a version per write, one
 * refresh lease holder at a time (until the lease runs out by the injected clock), nothing of a rollback.
 */
export function describeConnectionStoreContract(name: string, makeStore: MakeStore<ConnectionStore>): void {
  describe(`ConnectionStore contract (${name})`, () => {
    let h: StoreHarness<ConnectionStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const write = (tokens: TokenWrite = TOKENS) => h.commit((tx) => h.store.writeTokens(tx, 'sis', tokens, h.clock.now()));
    const later = (ms: number) => new Date(h.clock.now().getTime() + ms);
    const lease = (owner: string, version: number) => h.commit((tx) => h.store.tryLease(tx, 'sis', version, owner, h.clock.now(), later(10_000)));

    it('stores tokens sealed and reads them back opened, one version per write', async () => {
      expect(await write()).toBe(1);
      expect(await h.store.read('sis')).toEqual({
        upstreamId: 'sis', status: 'connected', accessToken: 'at-1', refreshToken: 'rt-1', accessExpiresAt: later(3_600_000),
        accessObtainedAt: h.clock.now(), scope: 'read', accessUrl: null, version: 1,
      });
      const raw = (await h.store.row('sis'))!;
      expect(JSON.stringify(raw)).not.toContain('rt-1');
      expect(await write({ accessToken: 'at-2', refreshToken: 'rt-2' })).toBe(2);
      expect(await h.store.read('sis')).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2', version: 2 });
      expect((await h.store.rows()).map((r) => r.upstreamId)).toEqual(['sis']);
    });

    it('sees its own write inside the transaction', async () => {
      const seen = await h.commit(async (tx) => (await h.store.writeTokens(tx, 'sis', { ...TOKENS, seedHash: 'seed-1' }, h.clock.now()), h.store.row('sis', tx)));
      expect(seen?.seedHash).toBe('seed-1');
    });

    it('gives the refresh lease to one owner at a time, until it runs out, and only on the version read', async () => {
      await write();
      expect(await lease('a', 2)).toBe(false);
      expect((await Promise.all([lease('a', 1), lease('b', 1)])).sort()).toEqual([false, true]);
      const holder = (await h.store.row('sis'))!.leaseOwner!;
      const other = holder === 'a' ? 'b' : 'a';
      expect(await lease(other, 1)).toBe(false);
      h.clock.advance(10_000);
      expect(await lease(other, 1)).toBe(true);
    });

    it('creates a first row holding the lease once', async () => {
      const create = (owner: string) => h.commit((tx) => h.store.tryCreateLeased(tx, 'sis', owner, h.clock.now(), later(10_000)));
      expect((await Promise.all([create('a'), create('b')])).sort()).toEqual([false, true]);
    });

    it('records an error and lets the lease go; marks a dead grant; disconnects once', async () => {
      await write();
      await lease('a', 1);
      await h.commit((tx) => h.store.recordError(tx, 'sis', 'a', 'unavailable: timeout', h.clock.now()));
      expect(await h.store.row('sis')).toMatchObject({ lastError: 'unavailable: timeout', leaseOwner: null, leaseUntil: null });
      await h.commit((tx) => h.store.markNeedsReauth(tx, 'sis', 'refresh refused: invalid_grant', h.clock.now()));
      expect(await h.store.read('sis')).toMatchObject({ status: 'needs_reauth' });
      const disconnect = () => h.commit((tx) => h.store.disconnect(tx, 'sis', null, h.clock.now()));
      expect(await disconnect()).toBe(true);
      expect(await disconnect()).toBe(false);
      expect(await h.store.read('sis')).toMatchObject({ status: 'disconnected', accessToken: undefined, refreshToken: undefined });
    });

    it('re-seals a row only if it is unchanged since it was read', async () => {
      await write();
      const row = (await h.store.row('sis'))!;
      expect(await h.commit((tx) => h.store.reseal(tx, row))).toBe(true);
      await write({ accessToken: 'at-2', refreshToken: 'rt-2' });
      expect(await h.commit((tx) => h.store.reseal(tx, row))).toBe(false);
      expect(await h.store.read('sis')).toMatchObject({ accessToken: 'at-2' });
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.writeTokens(tx, 'sis', TOKENS, h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.read('sis')).toBeUndefined();
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.writeTokens(leaked, 'sis', TOKENS, h.clock.now())).rejects.toThrow(TxClosed);
      await expect(h.store.tryCreateLeased(leaked, 'sis', 'a', h.clock.now(), later(10_000))).rejects.toThrow(TxClosed);
      expect(await h.store.rows()).toEqual([]);
    });
  });
}
