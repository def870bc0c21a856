import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseUnusable, openDatabase, type AppDatabase } from './client.js';
import { createGroupCommitter } from './group-commit.js';
import { revokedTokens } from './schema/revoked-tokens.js';

let database: AppDatabase;
beforeEach(() => {
  database = openDatabase({ path: ':memory:' });
});
afterEach(() => database.close());

const row = (jti: string) => ({ jti, clientId: 'c', revokedAt: new Date(0), expiresAt: new Date(1) });
const count = () => database.db.select({ n: sql<number>`count(*)` }).from(revokedTokens).get()!.n;

describe('group commit', () => {
  it('commits the changes of one turn in one transaction and settles each after the commit', async () => {
    let transactions = 0;
    const original = database.db.transaction.bind(database.db);
    database.db.transaction = ((fn, config) => (transactions++, original(fn, config))) as typeof database.db.transaction;
    const committer = createGroupCommitter(database.db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        committer.commit((tx) => {
          tx.insert(revokedTokens).values(row(`j${i}`)).run();
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(count()).toBe(20);
    expect(transactions).toBe(1);
  });

  it('rolls back and rejects only the change that throws', async () => {
    const committer = createGroupCommitter(database.db);
    const outcomes = await Promise.allSettled([
      committer.commit((tx) => tx.insert(revokedTokens).values(row('a')).run()),
      committer.commit((tx) => {
        tx.insert(revokedTokens).values(row('b')).run();
        throw new Error('refused');
      }),
      committer.commit((tx) => tx.insert(revokedTokens).values(row('c')).run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(database.db.select().from(revokedTokens).all().map((r) => r.jti)).toEqual(['a', 'c']);
  });

  it('rejects the whole batch when the commit itself fails, and writes nothing', async () => {
    const committer = createGroupCommitter(database.db);
    database.sqlite.exec("CREATE TRIGGER no_c BEFORE INSERT ON revoked_tokens WHEN NEW.jti = 'c' BEGIN SELECT RAISE(ROLLBACK, 'disk I/O error'); END;");
    const outcomes = await Promise.allSettled([
      committer.commit((tx) => tx.insert(revokedTokens).values(row('a')).run()),
      committer.commit((tx) => tx.insert(revokedTokens).values(row('c')).run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(count()).toBe(0);
  });

  it('caps a batch and carries the rest into the next one', async () => {
    const committer = createGroupCommitter(database.db, { maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.commit((tx) => tx.insert(revokedTokens).values(row(`k${i}`)).run())));
    expect(count()).toBe(10);
  });

  it('refuses every commit while its check throws, and reports the last failure until a commit succeeds', async () => {
    let gone = true;
    const committer = createGroupCommitter(database.db, {
      check: () => {
        if (gone) throw new DatabaseUnusable('the file is gone');
      },
    });
    expect(committer.failure()).toBeUndefined();
    await expect(committer.commit((tx) => tx.insert(revokedTokens).values(row('a')).run())).rejects.toThrow(DatabaseUnusable);
    await expect(committer.probe()).rejects.toThrow('the file is gone');
    expect(count()).toBe(0);
    expect(committer.failure()).toBe('the file is gone');
    gone = false;
    await committer.probe();
    expect(committer.failure()).toBeUndefined();
  });
});
