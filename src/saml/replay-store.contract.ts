import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import type { AssertionReplayStore } from './types.js';

/**
 * What every SAML assertion replay engine must do (SAML Profiles §4.1.4.5): an assertion ID of an IdP is
 * accepted once, also when the same assertion is posted twice at once. The store commits its own write (the
 * engine asks before the login goes on). Expiry: the engine refuses an assertion past NotOnOrAfter before it
 * asks, and rows past `expiresAt` are pruned afterwards.
 */
export function describeAssertionReplayStoreContract(name: string, makeStore: MakeStore<AssertionReplayStore>): void {
  describe(`AssertionReplayStore contract (${name})`, () => {
    let h: StoreHarness<AssertionReplayStore>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const later = () => new Date(h.clock.now().getTime() + 300_000);

    it('accepts an assertion ID once per IdP', async () => {
      expect(await h.store.rememberOnce('https://idp.example.edu', '_a1', later())).toBe(true);
      expect(await h.store.rememberOnce('https://idp.example.edu', '_a1', later())).toBe(false);
      expect(await h.store.rememberOnce('https://other.example.edu', '_a1', later())).toBe(true);
    });

    it('accepts exactly one of two concurrent posts of the same assertion', async () => {
      const outcomes = await Promise.all([h.store.rememberOnce('https://idp.example.edu', '_a1', later()), h.store.rememberOnce('https://idp.example.edu', '_a1', later())]);
      expect(outcomes.sort()).toEqual([false, true]);
    });
  });
}
