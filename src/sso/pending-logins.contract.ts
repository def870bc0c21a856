import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TxClosed } from '../db/tx.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import type { PendingLogin, PendingLoginStore } from './pending-logins.js';

/** What every pending-login engine must do: bound to one browser, consumed once, never after expiry (but still found). */
export function describePendingLoginStoreContract(name: string, makeStore: MakeStore<PendingLoginStore>): void {
  describe(`PendingLoginStore contract (${name})`, () => {
    let h: StoreHarness<PendingLoginStore>;
    let login: PendingLogin;
    beforeEach(async () => {
      h = await makeStore();
      const now = h.clock.now();
      login = { id: '_req-1', idpId: 'campus', bindingHash: 'browser-a', purpose: 'launch', target: 'course-eval', startRequestId: 'req-start', createdAt: now, expiresAt: new Date(now.getTime() + 300_000) };
    });
    afterEach(() => h.close());
    const remember = () => h.commit((tx) => h.store.remember(tx, login));
    const consume = (bindingHash = 'browser-a') => h.commit((tx) => h.store.consume(tx, login.id, bindingHash, h.clock.now()));

    it('finds a remembered login only in the browser that started it, and consumes it once', async () => {
      await remember();
      expect(await h.store.find(login.id, 'browser-b')).toBeUndefined();
      expect(await h.store.find(login.id, 'browser-a')).toEqual(login);
      expect(await consume('browser-b')).toBeUndefined();
      expect(await consume()).toEqual(login);
      expect(await consume()).toBeUndefined();
      expect(await h.store.find(login.id, 'browser-a')).toBeUndefined();
    });

    it('gives the login to exactly one of two concurrent consumers', async () => {
      await remember();
      const winners = (await Promise.all([consume(), consume()])).filter((r) => r !== undefined);
      expect(winners).toEqual([login]);
    });

    it('is never consumed once expired (by the injected clock), but still found, to tell a late answer apart', async () => {
      await remember();
      h.clock.set(login.expiresAt);
      expect(await consume()).toBeUndefined();
      expect(await h.store.find(login.id, 'browser-a')).toEqual(login);
      expect(await h.store.find(login.id, 'browser-b')).toBeUndefined();
    });

    it('keeps nothing of a change that rolls back: neither the remembering nor the consuming', async () => {
      await expect(h.commit(async (tx) => (await h.store.remember(tx, login), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.find(login.id, 'browser-a')).toBeUndefined();
      await remember();
      await expect(h.commit(async (tx) => (await h.store.consume(tx, login.id, 'browser-a', h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await consume()).toEqual(login);
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.remember(leaked, login)).rejects.toThrow(TxClosed);
      await expect(h.store.consume(leaked, login.id, 'browser-a', h.clock.now())).rejects.toThrow(TxClosed);
      expect(await h.store.find(login.id, 'browser-a')).toBeUndefined();
    });
  });
}
