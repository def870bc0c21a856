import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyring, generateMasterKeyText, parseMasterKey } from '../core/sealed-box.js';
import { pgHarness } from '../db/pg/harness.contract.js';
import { openPgInstances, type PgInstance } from '../db/pg/instances.contract.js';
import { sqliteHarness } from '../db/sqlite-harness.contract.js';
import { describeConnectionStoreContract } from './vault-store.contract.js';
import { createPgConnectionStore } from './vault-store-pg.js';
import { createConnectionStore } from './vault-store.js';

const newKeyring = () => createKeyring([parseMasterKey(generateMasterKeyText())]);

describeConnectionStoreContract('SQLite', sqliteHarness((db) => createConnectionStore(db, newKeyring())));
describeConnectionStoreContract('PostgreSQL', pgHarness((db) => createPgConnectionStore(db, newKeyring())));

describe('ConnectionStore on PostgreSQL, two instances on one database', () => {
  const keyring = newKeyring();
  const now = new Date('2026-11-23T10:00:00.000Z');
  const until = new Date(now.getTime() + 10_000);
  let opened: Awaited<ReturnType<typeof openPgInstances>>;
  beforeEach(async () => {
    opened = await openPgInstances(2);
  });
  afterEach(() => opened.close());
  const instance = ({ db, committer }: PgInstance) => ({ committer, store: createPgConnectionStore(db, keyring) });

  it('gives the refresh lease to exactly one of 50 concurrent attempts from each, and the refresh it stored to both', async () => {
    const [a, b] = opened.instances.map(instance) as [ReturnType<typeof instance>, ReturnType<typeof instance>];
    await a.committer.commit((tx) => a.store.writeTokens(tx, 'sis', { accessToken: 'at-1', refreshToken: 'rt-1', fresh: true }, now));
    const attempt = ({ committer, store }: typeof a, owner: string) => committer.commit((tx) => store.tryLease(tx, 'sis', 1, owner, now, until));
    const owners = Array.from({ length: 50 }, (_, i) => [`a-${i}`, `b-${i}`]).flat();
    const won = await Promise.all(owners.map((owner) => attempt(owner.startsWith('a') ? a : b, owner)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = owners[won.indexOf(true)]!;
    expect((await a.store.row('sis'))?.leaseOwner).toBe(winner);

    // The holder stores the rotated refresh token (committed before anyone uses it): the other instance reads it,
    // and no lease on the version it replaced is granted again, even once the lease has run out.
    const holder = winner.startsWith('a') ? a : b;
    const other = holder === a ? b : a;
    await holder.committer.commit((tx) => holder.store.writeTokens(tx, 'sis', { accessToken: 'at-2', refreshToken: 'rt-2' }, now));
    expect(await other.store.read('sis')).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2', version: 2 });
    expect(await other.committer.commit((tx) => other.store.tryLease(tx, 'sis', 1, 'late', until, new Date(until.getTime() + 10_000)))).toBe(false);
  });
});
