import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TxClosed } from '../db/tx.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import type { LaunchCodeStore } from './launch-codes.js';

/** The store, and (engine-specific) the sealed payload its row holds for a code: undefined without a row. */
export type LaunchCodeHarness = LaunchCodeStore & { storedPayload(code: string): Promise<string | null | undefined> };

const FIELDS = { token: 'eyJ.x.y', token_expires_at: '2026-11-23T10:05:00.000Z', sub: 'alice@example.edu' };

/**
 * What every launch-code engine must do: a code works once, only before it expires, and hands back its fields;
 * a spent code (redeemed or expired) is remembered without its payload, so a replay can be attributed.
 */
export function describeLaunchCodeStoreContract(name: string, makeStore: MakeStore<LaunchCodeHarness>): void {
  describe(`LaunchCodeStore contract (${name})`, () => {
    let h: StoreHarness<LaunchCodeHarness>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const issue = () => h.commit((tx) => h.store.issue(tx, { surveyId: 'course-eval', jti: 'jti-1', fields: FIELDS, now: h.clock.now(), ttlSeconds: 60 }));
    const redeem = (code: string) => h.commit((tx) => h.store.redeem(tx, code, h.clock.now()));

    it('redeems a code once, with what was issued', async () => {
      const code = await issue();
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await redeem(code)).toEqual({ surveyId: 'course-eval', jti: 'jti-1', fields: FIELDS });
      expect(await redeem(code)).toBeUndefined();
      expect(await redeem(`${code.slice(0, -1)}A`)).toBeUndefined();
    });

    it('remembers whose a spent code was (redeemed, or expired unused), dropping the payload once redeemed', async () => {
      const spent = (code: string) => h.commit((tx) => h.store.spent(tx, code));
      const redeemed = await issue();
      expect(await h.store.storedPayload(redeemed)).toMatch(/^v1\./);
      await redeem(redeemed);
      expect(await h.store.storedPayload(redeemed)).toBeNull();
      expect(await spent(redeemed)).toEqual({ surveyId: 'course-eval', jti: 'jti-1', redeemedAt: h.clock.now() });
      const unused = await issue();
      h.clock.advance(60_000);
      expect(await redeem(unused)).toBeUndefined();
      expect(await spent(unused)).toEqual({ surveyId: 'course-eval', jti: 'jti-1', redeemedAt: undefined });
      expect(await spent('never-issued-code-never-issued-code-never-is')).toBeUndefined();
    });

    it('gives the code to exactly one of two concurrent redeemers', async () => {
      const code = await issue();
      const winners = (await Promise.all([redeem(code), redeem(code)])).filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
    });

    it('refuses a code at its expiry (by the injected clock)', async () => {
      const code = await issue();
      h.clock.advance(60_000);
      expect(await redeem(code)).toBeUndefined();
    });

    it('keeps nothing of a change that rolls back: neither the issuing nor the redeeming', async () => {
      let rolledBack = '';
      await expect(h.commit(async (tx) => ((rolledBack = await h.store.issue(tx, { surveyId: 's', jti: 'j', fields: {}, now: h.clock.now(), ttlSeconds: 60 })), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await redeem(rolledBack)).toBeUndefined();
      const code = await issue();
      await expect(h.commit(async (tx) => (await h.store.redeem(tx, code, h.clock.now()), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect(await redeem(code)).toMatchObject({ jti: 'jti-1' });
    });

    it('writes nothing through a transaction that has ended', async () => {
      const code = await issue();
      const leaked = await h.commit(async (tx) => tx);
      await expect(h.store.issue(leaked, { surveyId: 's', jti: 'j', fields: {}, now: h.clock.now(), ttlSeconds: 60 })).rejects.toThrow(TxClosed);
      await expect(h.store.redeem(leaked, code, h.clock.now())).rejects.toThrow(TxClosed);
      expect(await redeem(code)).toMatchObject({ jti: 'jti-1' });
    });
  });
}
