import { afterEach, describe, expect, it } from 'vitest';
import { pgHarness } from '../db/pg/harness.contract.js';
import { openPgInstances } from '../db/pg/instances.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeClientAssertionStoreContract } from './assertion-replay.contract.js';
import { createPgClientAssertionStore } from './assertion-replay-pg.js';
import { createClientAssertionStore } from './assertion-replay.js';

describeClientAssertionStoreContract('SQLite', sqliteHarness((db) => createClientAssertionStore(db)));
describeClientAssertionStoreContract('PostgreSQL', pgHarness(() => createPgClientAssertionStore()));

describe('ClientAssertionStore across two PostgreSQL instances', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('accepts a jti presented to both instances at once on exactly one of them', async () => {
    const opened = await openPgInstances(2);
    close = opened.close;
    const assertion = { key: 'k1', clientId: 'gamma', expiresAt: new Date(Date.now() + 60_000) };
    const outcomes = await Promise.all(opened.instances.map(({ committer }) => committer.commit((tx) => createPgClientAssertionStore().consume(tx, assertion))));
    expect(outcomes.sort()).toEqual([false, true]);
  });
});
