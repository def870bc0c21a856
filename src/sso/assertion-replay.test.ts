import { afterEach, describe, expect, it } from 'vitest';
import { pgHarness } from '../db/pg/harness.contract.js';
import { openPgInstances } from '../db/pg/instances.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeAssertionReplayStoreContract } from '../saml/replay-store.contract.js';
import { createPgAssertionReplayStore } from './assertion-replay-pg.js';
import { createAssertionReplayStore } from './assertion-replay.js';

describeAssertionReplayStoreContract('SQLite', sqliteHarness((db, _clock, committer) => createAssertionReplayStore(db, committer)));
describeAssertionReplayStoreContract('PostgreSQL', pgHarness((_db, _clock, committer) => createPgAssertionReplayStore(committer)));

describe('AssertionReplayStore across two PostgreSQL instances', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('accepts an assertion posted to both instances at once on exactly one of them', async () => {
    const opened = await openPgInstances(2);
    close = opened.close;
    const stores = opened.instances.map(({ committer }) => createPgAssertionReplayStore(committer));
    const expiresAt = new Date(Date.now() + 300_000);
    const outcomes = await Promise.all(stores.map((store) => store.rememberOnce('https://idp.example.edu', '_a1', expiresAt)));
    expect(outcomes.sort()).toEqual([false, true]);
  });
});
