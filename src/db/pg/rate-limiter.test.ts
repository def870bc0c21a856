import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPgDatabase, type PgDatabase } from './client.js';
import { createTestSchema } from './harness.contract.js';
import { createPgRateLimiter } from './rate-limiter.js';

let target: Awaited<ReturnType<typeof createTestSchema>>;
let database: PgDatabase;
let reads: number;
const query = pg.Pool.prototype.query;
beforeEach(async () => {
  target = await createTestSchema();
  database = await openPgDatabase({ url: target.url, schema: target.schema, poolSize: 3 });
  reads = 0;
  // Counts the limiter's reads (its named `get` statement) on this pool.
  database.pool.query = function (this: pg.Pool, ...args: Parameters<typeof query>) {
    if ((args[0] as { name?: string }).name === 'rate_limits:rlflx-get') reads++;
    return query.apply(this, args);
  } as typeof query;
});
afterEach(async () => {
  await database.close();
  await target.drop();
});

const limiter = () => createPgRateLimiter(database.pool, target.schema, { keyPrefix: 'test', points: 2, duration: 60 });

describe('the shared PostgreSQL rate limiter', () => {
  it('answers the reads of one key asked in one event-loop turn with one statement, and other keys with their own', async () => {
    const l = limiter();
    await l.consume('k');
    const answers = await Promise.all([l.get('k'), l.get('k'), l.get('k'), l.get('other')]);
    expect(answers.map((a) => a?.consumedPoints ?? 0)).toEqual([1, 1, 1, 0]);
    expect(reads).toBe(2);
  });

  it('reads again for a call made once the shared read has left, and sees every count committed before the call', async () => {
    const l = limiter();
    const first = l.get('k');
    await new Promise((resolve) => setImmediate(resolve));
    // The read of `first` has been sent: a call from now on is not answered by it.
    const second = l.get('k');
    await Promise.all([first, second]);
    expect(reads).toBe(2);
    await l.consume('k');
    await l.consume('k');
    expect((await l.get('k'))?.consumedPoints).toBe(2);
    expect(reads).toBe(3);
  });
});
