import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageFailure } from '../failures.js';
import { pgOf } from '../tx.js';
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
