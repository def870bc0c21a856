import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditCheckpointRow } from '../db/schema/audit-checkpoints.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';

/**
 * What every checkpoint engine must do: each checkpoint kept with its own id, newest first, nothing of a
 * rollback. (Checkpoints never expire: they outlive pruned rows. Signing one at a time is the signer's lock.)
 */
export function describeAuditCheckpointStoreContract(name: string, makeStore: MakeStore<AuditCheckpointStore>): void {
  describe(`AuditCheckpointStore contract (${name})`, () => {
    let h: StoreHarness<AuditCheckpointStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const checkpoint = (lastId: number): Omit<AuditCheckpointRow, 'id'> => ({ at: h.clock.now(), lastId, headHash: String(lastId).padStart(64, '0'), rows: lastId, kid: 'k1', jws: `jws-${lastId}` });
    const add = (lastId: number) => h.commit((tx) => h.store.add(tx, checkpoint(lastId)));

    it('keeps checkpoints with their ids and lists them newest first', async () => {
      expect(await h.store.latest()).toBeUndefined();
      const first = await add(3);
      h.clock.advance(1000);
      const second = await add(7);
      expect(first).toEqual({ id: first.id, ...checkpoint(3), at: new Date('2026-11-23T10:00:00.000Z') });
      expect(second.id).toBeGreaterThan(first.id);
      expect(await h.store.latest()).toEqual(second);
      expect(await h.store.list(10)).toEqual([second, first]);
      expect(await h.store.list(1)).toEqual([second]);
      expect(await h.store.all()).toEqual([first, second]);
    });

    it('reads the latest as a transaction sees it (its own checkpoint before COMMIT)', async () => {
      const first = await add(3);
      const seen = await h.commit(async (tx) => {
        const before = await h.store.latest(tx);
        const mine = await h.store.add(tx, checkpoint(7));
        return { before, after: await h.store.latest(tx), mine };
      });
      expect(seen).toEqual({ before: first, after: seen.mine, mine: { id: seen.mine.id, ...checkpoint(7) } });
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.latest(leaked)).rejects.toThrow(TxClosed);
    });

    it('gives concurrent checkpoints distinct ids', async () => {
      const rows = await Promise.all([add(1), add(2)]);
      expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.add(tx, checkpoint(1)), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.list(10)).toEqual([]);
      expect(await h.store.all()).toEqual([]);
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.add(leaked, checkpoint(1))).rejects.toThrow(TxClosed);
      expect(await h.store.latest()).toBeUndefined();
    });
  });
}
