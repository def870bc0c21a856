import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageFailure } from '../failures.js';
import { revokedTokens } from '../schema-pg/revoked-tokens.js';
import { pgOf, type Tx } from '../tx.js';
import { openPgDatabase, type PgDatabase } from './client.js';
import { createPgGroupCommitter } from './group-commit.js';
import { createTestSchema } from './harness.contract.js';

let target: Awaited<ReturnType<typeof createTestSchema>>;
let database: PgDatabase;
beforeEach(async () => {
  target = await createTestSchema();
  database = await openPgDatabase({ url: target.url, schema: target.schema, poolSize: 2 });
});
afterEach(async () => {
  await database.close();
  await target.drop();
});

const row = (jti: string) => ({ jti, clientId: 'c', revokedAt: new Date(0), expiresAt: new Date(1) });
const insert = async (tx: Tx, jti: string) => void (await pgOf(tx).insert(revokedTokens).values(row(jti)));
const stored = async () => (await database.db.select({ jti: revokedTokens.jti }).from(revokedTokens)).map((r) => r.jti).sort();

describe('the PostgreSQL committer with pipelined savepoints', () => {
  it('rolls back only the changes that fail, wherever they are in one batch, and commits the rest together', async () => {
    const committer = createPgGroupCommitter(database);
    const refused = async (tx: Tx, jti: string) => {
      await insert(tx, jti);
      throw new Error('refused after writing');
    };
    // A change refused in code, one whose statement the server refuses (the transaction is aborted until the
    // ROLLBACK TO), two failures in a row, and a failure first and last: each takes only its own rows with it.
    const outcomes = await Promise.allSettled([
      committer.commit((tx) => refused(tx, 'first')),
      committer.commit((tx) => insert(tx, 'a')),
      committer.commit(async (tx) => (await insert(tx, 'dup-b'), await insert(tx, 'a'))),
      committer.commit((tx) => refused(tx, 'c')),
      committer.commit(async (tx) => (await insert(tx, 'd'), 'value of d')),
      committer.commit(async () => 'no statement'),
      committer.commit((tx) => refused(tx, 'last')),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value ?? 'ok' : 'rejected'))).toEqual(['rejected', 'ok', 'rejected', 'rejected', 'value of d', 'no statement', 'rejected']);
    expect(await stored()).toEqual(['a', 'd']);
    expect(committer.failure()).toBeUndefined();
  });
});

describe('the PostgreSQL committer when the server drops its connection (a restart)', () => {
  it('fails that batch as a storage failure, keeps the process alive, and commits again on a new connection', async () => {
    const committer = createPgGroupCommitter(database);
    // The server ends the committer's own connection in the middle of its transaction, as a restart does; the
    // checked-out client then emits 'error', which must not be an unhandled event (it would end the process).
    const lost = committer.commit(async (tx) => void (await pgOf(tx).execute(sql`SELECT pg_terminate_backend(pg_backend_pid())`)));
    const err = await lost.then(() => undefined, (e: unknown) => e);
    expect(storageFailure(err)).toMatch(/^PostgreSQL (SQLSTATE 57P01|unreachable)/);
    expect(committer.failure()).toMatch(/ready again once a write succeeds$/);

    await committer.probe();
    expect(committer.failure()).toBeUndefined();
  });
});
