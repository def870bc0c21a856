import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminSessionRow } from '../db/schema/admin-sessions.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { AdminSessionStore } from './sessions.js';

/** What every console-session engine must do: find, touch, end once, sweep the expired, nothing of a rollback. */
export function describeAdminSessionStoreContract(name: string, makeStore: MakeStore<AdminSessionStore>): void {
  describe(`AdminSessionStore contract (${name})`, () => {
    let h: StoreHarness<AdminSessionStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const session = (idHash: string, idleMs = 900_000): AdminSessionRow => {
      const now = h.clock.now();
      return { idHash, subject: 'carol@example.edu', role: 'admin', idpId: 'campus', csrfToken: `csrf-${idHash}`, createdAt: now, lastSeenAt: now, idleExpiresAt: new Date(now.getTime() + idleMs), expiresAt: new Date(now.getTime() + 3_600_000) };
    };
    const add = (row: AdminSessionRow) => h.commit((tx) => h.store.add(tx, row, h.clock.now()));
    const remove = (idHash: string) => h.commit((tx) => h.store.remove(tx, idHash));

    it('finds a session, moves its idle clock, and ends it once', async () => {
      await add(session('s1'));
      expect(await h.store.find('s1')).toEqual(session('s1'));
      expect(await h.store.find('s2')).toBeUndefined();
      const later = new Date(h.clock.now().getTime() + 60_000);
      await h.commit((tx) => h.store.touch(tx, 's1', later, new Date(later.getTime() + 900_000)));
      expect(await h.store.find('s1')).toMatchObject({ lastSeenAt: later, idleExpiresAt: new Date(later.getTime() + 900_000) });
      expect(await remove('s1')).toBe(true);
      expect(await remove('s1')).toBe(false);
      expect(await h.store.find('s1')).toBeUndefined();
    });

    it('ends a session for exactly one of two concurrent sign-outs', async () => {
      await add(session('s1'));
      expect((await Promise.all([remove('s1'), remove('s1')])).sort()).toEqual([false, true]);
    });

    it('sweeps sessions expired (idle or absolute, by the injected clock) when the next one is added', async () => {
      await add(session('idle', 60_000));
      const live = session('live');
      await add(live);
      h.clock.advance(120_000);
      await add(session('new'));
      expect(await h.store.find('idle')).toBeUndefined();
      expect(await h.store.find('live')).toEqual(live);
      h.clock.advance(3_600_000);
      await add(session('newer'));
      expect(await h.store.find('live')).toBeUndefined();
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.add(tx, session('s1'), h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.find('s1')).toBeUndefined();
      await add(session('s2'));
      await expect(h.commit(async (tx) => (await h.store.remove(tx, 's2'), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.find('s2')).toEqual(session('s2'));
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.add(leaked, session('s1'), h.clock.now())).rejects.toThrow(TxClosed);
      expect(await h.store.find('s1')).toBeUndefined();
    });
  });
}
