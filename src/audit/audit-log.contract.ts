import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TxClosed } from '../db/tx.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import type { AuditLogStore } from './audit-log.js';
import { GENESIS_HASH, hashRow } from './chain.js';

const issued = (jti: string) => ({ event: 'token.issue' as const, outcome: 'success' as const, jti, data: { grant_type: 'client_credentials' } });

/** What every audit log engine must do: one hash chain, rows only inside a live transaction, nothing of a rollback. */
export function describeAuditLogStoreContract(name: string, makeStore: MakeStore<AuditLogStore>): void {
  describe(`AuditLogStore contract (${name})`, () => {
    let h: StoreHarness<AuditLogStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());

    it('chains rows in commit order, each at the injected clock, and verifies', async () => {
      const first = await h.commit((tx) => h.store.append(tx, issued('a')));
      h.clock.advance(1000);
      const second = await h.commit((tx) => h.store.append(tx, issued('b')));
      expect([first.id, first.prevHash, first.at]).toEqual([1, GENESIS_HASH, new Date('2026-11-23T10:00:00.000Z')]);
      expect([second.id, second.prevHash, second.at]).toEqual([2, first.hash, new Date('2026-11-23T10:00:01.000Z')]);
      for (const row of [first, second]) expect(hashRow(row)).toBe(row.hash);
      expect(await h.store.verify()).toEqual({ ok: true, rows: 2, lastId: 2, headHash: second.hash });
    });

    it('keeps one chain under concurrent commits (no two rows on the same head)', async () => {
      const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => h.commit((tx) => h.store.append(tx, issued(`c${i}`)))));
      expect(rows.map((r) => r.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await h.store.verify()).toMatchObject({ ok: true, rows: 50 });
    });

    it('keeps nothing of a change that rolls back, and chains the next row onto the last kept one', async () => {
      const kept = await h.commit((tx) => h.store.append(tx, issued('kept')));
      const refused = h.commit(async (tx) => {
        await h.store.append(tx, issued('rolled-back'));
        throw new Error('refused after writing');
      });
      await expect(refused).rejects.toThrow('refused after writing');
      const next = await h.commit((tx) => h.store.append(tx, issued('next')));
      expect([next.id, next.prevHash]).toEqual([2, kept.hash]);
      expect(await h.store.verify()).toMatchObject({ ok: true, rows: 2 });
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.append(leaked, issued('late'))).rejects.toThrow(TxClosed);
      expect(await h.store.verify()).toMatchObject({ ok: true, rows: 0 });
    });

    it('refuses an event of the wrong shape, and the change with it (fails closed)', async () => {
      const bad = { event: 'token.issue', outcome: 'refused', data: { grant_type: 'x', expires_in: 1.5 } } as const;
      await expect(h.commit((tx) => h.store.append(tx, bad))).rejects.toThrow();
      expect(await h.store.verify()).toMatchObject({ ok: true, rows: 0 });
    });
  });
}
