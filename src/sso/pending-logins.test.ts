import { afterEach, describe, expect, it } from 'vitest';
import { pgHarness } from '../db/pg/harness.contract.js';
import { openPgInstances } from '../db/pg/instances.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describePendingLoginStoreContract } from './pending-logins.contract.js';
import { createPgPendingLogins } from './pending-logins-pg.js';
import { createPendingLogins } from './pending-logins.js';

describePendingLoginStoreContract('SQLite', sqliteHarness((db) => createPendingLogins(db)));
describePendingLoginStoreContract('PostgreSQL', pgHarness((db) => createPgPendingLogins(db)));

describe('PendingLoginStore across two PostgreSQL instances', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('gives a login answered on both instances at once to exactly one of them', async () => {
    const opened = await openPgInstances(2);
    close = opened.close;
    const instances = opened.instances.map(({ db, committer }) => ({ store: createPgPendingLogins(db), commit: committer.commit }));
    const now = new Date();
    const login = { id: '_req-1', idpId: 'campus', bindingHash: 'browser-a', purpose: 'launch', target: 'course-eval', startRequestId: 'req-start', createdAt: now, expiresAt: new Date(now.getTime() + 300_000) };
    await instances[0]!.commit((tx) => instances[0]!.store.remember(tx, login));
    const outcomes = await Promise.all(instances.map(({ store, commit }) => commit((tx) => store.consume(tx, login.id, login.bindingHash, now))));
    expect(outcomes.filter((r) => r !== undefined)).toEqual([login]);
  });
});
