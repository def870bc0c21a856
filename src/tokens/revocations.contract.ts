import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import { TxClosed } from '../db/tx.js';
import { MAX_LINEAGE, type RevocationKeys, type RevocationStore } from './revocations.js';

/**
 * What every revocation engine must do: a revocation is seen by the next check, recorded once, and not at all
 * when its change rolls back; a revoked id revokes the tokens that descend from it; a subject's cutoff revokes
 * its tokens issued before it, and a later cutoff stands. (Rows past their expiry are pruned elsewhere: an
 * expired token is refused for being expired, so this store has no clock of its own.)
 */
export function describeRevocationStoreContract(name: string, makeStore: MakeStore<RevocationStore>): void {
  describe(`RevocationStore contract (${name})`, () => {
    let h: StoreHarness<RevocationStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const at = (offsetMs: number) => new Date(h.clock.now().getTime() + offsetMs);
    const entry = (jti: string) => ({ jti, clientId: 'alpha', revokedAt: h.clock.now(), expiresAt: at(300_000) });
    const revoke = (jti: string) => h.commit((tx) => h.store.revoke(tx, entry(jti)));
    const cutOff = (subject: string, cutoff: Date) => h.commit((tx) => h.store.cutOff(tx, { subject, cutoff, expiresAt: new Date(cutoff.getTime() + 3_660_000) }));
    /** A token of alice issued at the harness's start (a whole second, as `iat` is). */
    const token = (jti: string, lineage: string[] = [], more: Partial<RevocationKeys> = {}): RevocationKeys => ({ jti, lineage, sub: 'alice', issuedAt: at(0), ...more });

    it('reports a revoked jti, and only that one; revoking again changes nothing', async () => {
      expect(await h.store.revocationOf(token('j1'))).toBeUndefined();
      expect(await revoke('j1')).toBe(true);
      expect(await h.store.revocationOf(token('j1'))).toEqual({ by: 'itself' });
      expect(await h.store.revocationOf(token('j2'))).toBeUndefined();
      expect(await revoke('j1')).toBe(false);
    });

    it('revokes every token that descends from a revoked id, naming the nearest revoked ancestor', async () => {
      await revoke('assertion-1');
      expect(await h.store.revocationOf(token('child', ['assertion-1']))).toEqual({ by: 'ancestor', id: 'assertion-1' });
      await revoke('middle');
      expect(await h.store.revocationOf(token('grandchild', ['assertion-1', 'middle']))).toEqual({ by: 'ancestor', id: 'middle' });
      // The ancestors themselves, and a sibling branch, are untouched by a descendant's revocation.
      await revoke('leaf');
      expect(await h.store.revocationOf(token('root'))).toBeUndefined();
      expect(await h.store.revocationOf(token('sibling', ['root']))).toBeUndefined();
      expect(await h.store.revocationOf(token('leaf', ['root', 'middle']))).toEqual({ by: 'itself' });
    });

    it('checks the whole of the longest lineage a token may carry', async () => {
      const lineage = Array.from({ length: MAX_LINEAGE }, (_, i) => `a${i}`);
      expect(await h.store.revocationOf(token('deep', lineage))).toBeUndefined();
      await revoke(`a0`);
      expect(await h.store.revocationOf(token('deep', lineage))).toEqual({ by: 'ancestor', id: 'a0' });
      await expect(h.store.revocationOf(token('deeper', [...lineage, 'one-more']))).rejects.toThrow(`a lineage of ${MAX_LINEAGE + 1} ids: at most ${MAX_LINEAGE}`);
    });

    it("cuts a subject off: its tokens issued before the cutoff, not at or after it, nor anyone else's", async () => {
      const cutoff = at(1500);
      expect(await cutOff('alice', cutoff)).toEqual(cutoff);
      expect(await h.store.revocationOf(token('before'))).toEqual({ by: 'subject', cutoff });
      expect(await h.store.revocationOf(token('same-second', [], { issuedAt: at(1000) }))).toEqual({ by: 'subject', cutoff });
      expect(await h.store.revocationOf(token('after', [], { issuedAt: at(2000) }))).toBeUndefined();
      expect(await h.store.revocationOf(token('bob', [], { sub: 'bob' }))).toBeUndefined();
      // Revoked by id as well: the token's own revocation is the reason given.
      await revoke('before');
      expect(await h.store.revocationOf(token('before'))).toEqual({ by: 'itself' });
    });

    it('keeps the later of two cutoffs, whichever comes first', async () => {
      expect(await cutOff('alice', at(60_000))).toEqual(at(60_000));
      expect(await cutOff('alice', at(1000))).toEqual(at(60_000));
      expect(await h.store.revocationOf(token('t', [], { issuedAt: at(30_000) }))).toEqual({ by: 'subject', cutoff: at(60_000) });
      expect(await cutOff('alice', at(90_000))).toEqual(at(90_000));
    });

    it('records one of two concurrent revocations of the same jti as new', async () => {
      expect((await Promise.all([revoke('j1'), revoke('j1')])).sort()).toEqual([false, true]);
    });

    it('keeps nothing of a change that rolls back', async () => {
      await expect(h.commit(async (tx) => (await h.store.revoke(tx, entry('j1')), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      const cutoff = { subject: 'alice', cutoff: at(1000), expiresAt: at(3_600_000) };
      await expect(h.commit(async (tx) => (await h.store.cutOff(tx, cutoff), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await h.store.revocationOf(token('j1'))).toBeUndefined();
    });

    it('writes nothing through a transaction that has ended', async () => {
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.revoke(leaked, entry('j1'))).rejects.toThrow(TxClosed);
      await expect(h.store.cutOff(leaked, { subject: 'alice', cutoff: at(1000), expiresAt: at(3_600_000) })).rejects.toThrow(TxClosed);
      expect(await h.store.revocationOf(token('j1'))).toBeUndefined();
    });
  });
}
