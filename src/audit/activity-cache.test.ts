import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openDatabase, type AppDatabase } from '../db/client.js';
import { createGroupCommitter } from '../db/group-commit.js';
import { activityOf, planActivity, type Activity, type ActivityWindow } from './activity.js';
import { ACTIVITY_GRACE_MS, createActivityCache, readActivity, type ActivityCache } from './activity-cache.js';
import { createAuditLog, type AuditLog } from './audit-log.js';
import type { AuditEvent } from './events.js';
import type { AuditFilter } from './query.js';
import type { AuditReader } from './reader.js';
import { createSqliteAuditReader } from './reader-sqlite.js';
import { pruneAuditLog } from './retention.js';

const at = (time: string) => new Date(`2026-11-23T${time}Z`);
const issued = (outcome: 'success' | 'refused') => ({ event: 'token.issue', outcome, data: { grant_type: 'client_credentials' } }) as AuditEvent;
const login = { event: 'saml.login', outcome: 'refused', data: {} } as AuditEvent;

const clock = fixedClock(at('10:30:00'));
let database: AppDatabase;
let audit: AuditLog;
let real: AuditReader;
/** The real reader, recording the windows it is asked to count. */
let reader: AuditReader;
let counted: ActivityWindow[];
let cache: ActivityCache;

const write = (event: AuditEvent, time: string) => audit.commit((tx) => audit.append(tx, event, at(time)));

beforeEach(async () => {
  clock.set(at('10:30:00'));
  database = openDatabase({ path: ':memory:' });
  audit = createAuditLog(database.db, clock, { committer: createGroupCommitter(database.db) });
  real = createSqliteAuditReader(database.db);
  counted = [];
  reader = { ...real, activity: (filter, window) => (counted.push(window), real.activity(filter, window)) };
  cache = createActivityCache(clock);
  await write(issued('success'), '07:10:00');
  await write(issued('refused'), '08:05:00');
  await write(login, '08:40:00');
  await write(issued('success'), '09:15:00');
  await write(issued('success'), '10:20:00');
});
afterEach(() => database.close());

/** The chart counted afresh, every bucket in SQL. */
async function fresh(filter: AuditFilter): Promise<Activity | undefined> {
  const window = planActivity(filter, await real.activitySpan(filter));
  return window && activityOf(filter, window, await real.activity(filter, window));
}
const rowsPerBucket = (activity: Activity | undefined) => activity!.buckets.map((b) => b.totals.success + b.totals.refused + b.totals.error);
const hour = (start: string, buckets = 1) => ({ start: at(start), unit: 'hour', buckets });

describe('the activity chart with the counts of closed buckets kept', () => {
  it('draws what a fresh count draws, whatever the filter, its cut or its unit, on every load', async () => {
    const filters: AuditFilter[] = [{}, { outcome: 'refused' }, { event: ['token.*'] }, { from: at('08:30:00'), to: at('10:25:00') }, { from: new Date('2026-11-01T00:00:00Z') }];
    for (let load = 0; load < 2; load++) for (const filter of filters) expect(await readActivity(reader, filter, cache)).toEqual(await fresh(filter));
    expect((await readActivity(reader, filters.at(-1)!, cache))!.unit).toBe('day');
  });

  it('counts a closed bucket once: the next load counts only the open one, a past range nothing', async () => {
    await readActivity(reader, {}, cache);
    expect(counted).toEqual([hour('07:00:00', 4)]);
    counted = [];
    expect(rowsPerBucket(await readActivity(reader, {}, cache))).toEqual([1, 2, 1, 1]);
    expect(counted).toEqual([hour('10:00:00')]);

    const past = { from: at('07:30:00'), to: at('09:30:00') };
    await readActivity(reader, past, cache);
    counted = [];
    expect(await readActivity(reader, past, cache)).toEqual(await fresh(past));
    expect(counted).toEqual([]);
  });

  it('counts a row appended to the open bucket on the next load', async () => {
    await readActivity(reader, {}, cache);
    clock.set(at('10:40:00'));
    await audit.commit((tx) => audit.append(tx, issued('refused')));
    const chart = await readActivity(reader, {}, cache);
    expect(chart).toEqual(await fresh({}));
    expect(chart!.buckets.at(-1)!.totals).toEqual({ success: 1, refused: 1, error: 0 });
  });

  it('serves no count of pruned rows from memory', async () => {
    const range = { from: at('07:00:00'), to: at('11:00:00') };
    expect(rowsPerBucket(await readActivity(reader, range, cache))).toEqual([1, 2, 1, 1]);
    await pruneAuditLog({ reader: real, audit, clock }, { before: at('09:00:00'), actor: 'cli' });
    const chart = await readActivity(reader, range, cache);
    expect(chart).toEqual(await fresh(range));
    // The prune's own row is written now, in the open hour.
    expect(rowsPerBucket(chart)).toEqual([0, 0, 1, 2]);
  });

  it('keeps no bucket that ended within the grace period: a row of an instance whose clock is behind still counts', async () => {
    // The last bucket, cut at 10:26, ended 4 minutes ago.
    const range = { from: at('07:00:00'), to: at('10:26:00') };
    await readActivity(reader, range, cache);
    counted = [];
    await write(issued('refused'), '10:25:00');
    const chart = await readActivity(reader, range, cache);
    expect(chart).toEqual(await fresh(range));
    expect(chart!.buckets.at(-1)!.totals).toEqual({ success: 1, refused: 1, error: 0 });
    expect(counted).toEqual([hour('10:00:00')]);

    clock.set(new Date(range.to.getTime() + ACTIVITY_GRACE_MS + 1));
    await readActivity(reader, range, cache);
    counted = [];
    expect(await readActivity(reader, range, cache)).toEqual(await fresh(range));
    expect(counted).toEqual([]);
  });
});
