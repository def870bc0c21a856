import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import type { AuditRow } from '../db/schema/audit-log.js';
import { openPgInstances, type PgInstance } from '../db/pg/instances.contract.js';
import { createPgAuditLog } from './audit-log-pg.js';
import { eachRow } from './reader.js';
import { createPgAuditReader } from './reader-pg.js';

const issued = (jti: string) => ({ event: 'token.issue' as const, outcome: 'success' as const, jti, data: { grant_type: 'client_credentials' } });

describe('the PostgreSQL audit log with two instances on one database', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('keeps one gapless chain while both append concurrently (the head is read under the write lock)', async () => {
    const { instances, close } = await openPgInstances(2, { maxBatch: 8 });
    cleanup.push(close);
    const logs = instances.map(({ db, committer }) => createPgAuditLog(db, systemClock, { committer }));

    await Promise.all(logs.flatMap((log, n) => Array.from({ length: 200 }, (_, i) => log.commit((tx) => log.append(tx, issued(`i${n}-${i}`))))));

    expect(await logs[0]!.verify()).toMatchObject({ ok: true, rows: 400, lastId: 400 });
    const rows: AuditRow[] = [];
    for await (const row of eachRow(createPgAuditReader(instances[1]!.db).pages({ after: 0 }))) rows.push(row);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // Small batches, so the two instances took turns on the lock: their rows interleave along the chain.
    const turns = rows.filter((r, i) => i > 0 && r.jti!.slice(0, 2) !== rows[i - 1]!.jti!.slice(0, 2)).length;
    expect(turns).toBeGreaterThan(2);
  });

  it('chains each row onto the last one kept when a change in the middle of a batch rolls back (the head read once per transaction is forgotten)', async () => {
    const { instances, close } = await openPgInstances(1);
    cleanup.push(close);
    const [{ db, committer }] = instances as [PgInstance];
    const log = createPgAuditLog(db, systemClock, { committer });
    // One event-loop turn: one transaction; the second change appends two rows, then is refused.
    const outcomes = await Promise.allSettled([
      log.commit((tx) => log.append(tx, issued('a'))),
      log.commit(async (tx) => {
        await log.append(tx, issued('b1'));
        await log.append(tx, issued('b2'));
        throw new Error('refused');
      }),
      log.commit((tx) => log.append(tx, issued('c'))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows: AuditRow[] = [];
    for await (const row of eachRow(createPgAuditReader(db).pages({ after: 0 }))) rows.push(row);
    expect(rows.map((r) => [r.id, r.jti])).toEqual([[1, 'a'], [2, 'c']]);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(await log.verify()).toMatchObject({ ok: true, rows: 2, lastId: 2 });
  });
});
