import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DatabaseUnusable, openDatabase, type AppDatabase } from './client.js';
import { ChangeAwaitedIo, createGroupCommitter } from './group-commit.js';
import { revokedTokens } from './schema/revoked-tokens.js';
import { sqliteOf, TxClosed, type Tx } from './tx.js';

let database: AppDatabase;
beforeEach(() => {
  database = openDatabase({ path: ':memory:' });
});
afterEach(() => database.close());

const row = (jti: string) => ({ jti, clientId: 'c', revokedAt: new Date(0), expiresAt: new Date(1) });
/** A store write in the caller's transaction, as every SQLite store makes one. */
const insert = async (tx: Tx, jti: string) => void sqliteOf(tx).insert(revokedTokens).values(row(jti)).run();
const count = () => database.db.select({ n: sql<number>`count(*)` }).from(revokedTokens).get()!.n;

describe('group commit', () => {
  it('commits the changes of one turn in one transaction and settles each after the commit', async () => {
    let transactions = 0;
    const committer = createGroupCommitter(database.db, { check: () => void transactions++ });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        committer.commit(async (tx) => {
          await insert(tx, `j${i}`);
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
      committer.commit((tx) => insert(tx, 'a')),
      committer.commit(async (tx) => {
        await insert(tx, 'b');
        throw new Error('refused');
      }),
      committer.commit((tx) => insert(tx, 'c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(database.db.select().from(revokedTokens).all().map((r) => r.jti)).toEqual(['a', 'c']);
  });

  it('rejects the whole batch when the commit itself fails, and writes nothing', async () => {
    const committer = createGroupCommitter(database.db);
    database.sqlite.exec("CREATE TRIGGER no_c BEFORE INSERT ON revoked_tokens WHEN NEW.jti = 'c' BEGIN SELECT RAISE(ROLLBACK, 'disk I/O error'); END;");
    const outcomes = await Promise.allSettled([
      committer.commit((tx) => insert(tx, 'a')),
      committer.commit((tx) => insert(tx, 'c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(count()).toBe(0);
  });

  it('caps a batch and carries the rest into the next one', async () => {
    let batches = 0;
    const committer = createGroupCommitter(database.db, { maxBatch: 4, check: () => void batches++ });
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.commit((tx) => insert(tx, `k${i}`))));
    expect({ rows: count(), batches }).toEqual({ rows: 10, batches: 3 });
  });

  it('refuses every commit while its check throws, and reports the last failure until a commit succeeds', async () => {
    let gone = true;
    const committer = createGroupCommitter(database.db, {
      check: () => {
        if (gone) throw new DatabaseUnusable('the file is gone');
      },
    });
    expect(committer.failure()).toBeUndefined();
    await expect(committer.commit((tx) => insert(tx, 'a'))).rejects.toThrow(DatabaseUnusable);
    await expect(committer.probe()).rejects.toThrow('the file is gone');
    expect(count()).toBe(0);
    expect(committer.failure()).toBe('the file is gone');
    gone = false;
    await committer.probe();
    expect(committer.failure()).toBeUndefined();
  });
});

describe('the transaction handle', () => {
  it('cannot be made outside db/: a fake one does not type-check, and is refused at run time', async () => {
    // @ts-expect-error -- the brand is a module-private unique symbol: no object literal is a Tx.
    const fake: Tx = {};
    await expect(insert(fake, 'fake')).rejects.toThrow(new TxClosed('not a transaction of the SQLite group committer'));
    expect(count()).toBe(0);
  });

  it('refuses every use once its transaction has ended', async () => {
    const committer = createGroupCommitter(database.db);
    const leaked = await committer.commit(async (tx) => tx);
    await expect(insert(leaked, 'late')).rejects.toThrow(new TxClosed('the transaction has ended: a Tx is only valid inside the change it was given to'));
    expect(count()).toBe(0);
    expect(database.sqlite.inTransaction).toBe(false);
  });

  it('rolls back and rejects the whole batch when a change awaits real I/O, and commits the next batch', async () => {
    const committer = createGroupCommitter(database.db);
    let resumed: Promise<unknown> | undefined;
    const outcomes = await Promise.allSettled([
      committer.commit((tx) => insert(tx, 'innocent')),
      committer.commit(async (tx) => {
        await insert(tx, 'before-io');
        await new Promise((resolve) => randomBytes(8, resolve));
        resumed = insert(tx, 'after-io').catch((err: unknown) => err);
      }),
      committer.commit(async (tx) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await insert(tx, 'timer');
      }),
    ]);
    const expected = new ChangeAwaitedIo('a change awaited I/O inside its transaction: do that work before commit()');
    expect(outcomes).toEqual([
      { status: 'rejected', reason: expected },
      { status: 'rejected', reason: expected },
      { status: 'rejected', reason: expected },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The change that went on after the I/O found its transaction closed: nothing it wrote reached the database.
    expect(await resumed).toBeInstanceOf(TxClosed);
    expect(count()).toBe(0);
    expect(database.sqlite.inTransaction).toBe(false);
    await committer.commit((tx) => insert(tx, 'next'));
    expect(database.db.select().from(revokedTokens).all().map((r) => r.jti)).toEqual(['next']);
  });
});
