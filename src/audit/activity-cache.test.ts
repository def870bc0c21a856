import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../core/clock.js';
import { openDatabase, type AppDatabase } from '../db/client.js';
import { createGroupCommitter } from '../db/group-commit.js';
import type { Activity, ActivityWindow } from './activity.js';
import { ACTIVITY_GRACE_MS, withActivityCache } from './activity-cache.js';
import { createAuditLog, type AuditLog } from './audit-log.js';
import type { AuditEvent } from './events.js';
import type { AuditFilter } from './query.js';
import { readActivity, type AuditReader } from './reader.js';
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
/** `reader` with the counts of closed buckets kept. */
let cached: AuditReader;

const write = (event: AuditEvent, time: string) => audit.commit((tx) => audit.append(tx, event, at(time)));

beforeEach(async () => {
  clock.set(at('10:30:00'));
  database = openDatabase({ path: ':memory:' });
  audit = createAuditLog(database.db, clock, { committer: createGroupCommitter(database.db) });
  real = createSqliteAuditReader(database.db);
  counted = [];
  reader = { ...real, activity: (filter, window) => (counted.push(window), real.activity(filter, window)) };
  cached = withActivityCache(reader, clock);
  await write(issued('success'), '07:10:00');
  await write(issued('refused'), '08:05:00');
  await write(login, '08:40:00');
  await write(issued('success'), '09:15:00');
  await write(issued('success'), '10:20:00');
});
afterEach(() => database.close());

/** The chart counted afresh, every bucket in SQL. */
const fresh = (filter: AuditFilter) => readActivity(real, filter);
const rowsPerBucket = (activity: Activity | undefined) => activity!.buckets.map((b) => b.totals.success + b.totals.refused + b.totals.error);
const hour = (start: string, buckets = 1) => ({ start: at(start), unit: 'hour', buckets });

describe('the activity chart with the counts of closed buckets kept', () => {
  it('draws what a fresh count draws, whatever the filter, its cut or its unit, on every load', async () => {
    // A row on a day that has ended: the filters drawn per day hold a closed day that is not empty.
    const closedDay = new Date('2026-11-20T00:00:00Z');
    await audit.commit((tx) => audit.append(tx, issued('success'), new Date('2026-11-20T12:00:00Z')));
    const filters: AuditFilter[] = [{}, { outcome: 'refused' }, { event: ['token.*'] }, { from: at('08:30:00'), to: at('10:25:00') }, { from: new Date('2026-11-01T00:00:00Z') }];
    /** Every filter's chart, checked against a fresh count; returns the last one's (`counted`: what it counted). */
    const load = async () => {
      let chart: Activity | undefined;
      for (const filter of filters) {
        counted = [];
        chart = await readActivity(cached, filter);
        expect(chart).toEqual(await fresh(filter));
      }
      return chart;
    };
    await load();
    // A row in the open hour and day: the next load counts it.
    clock.set(at('10:40:00'));
    await audit.commit((tx) => audit.append(tx, issued('refused')));
    const days = await load();
    expect(days!.unit).toBe('day');
    expect(days!.buckets.find((b) => b.from.getTime() === closedDay.getTime())!.totals).toEqual({ success: 1, refused: 0, error: 0 });
    expect(days!.buckets.at(-1)!.totals).toEqual({ success: 3, refused: 3, error: 0 });
    expect(counted).toEqual([{ start: new Date('2026-11-23T00:00:00Z'), unit: 'day', buckets: 1 }]);
  });

  it('counts a closed bucket once: the next load counts only the open one, a past range nothing', async () => {
    await readActivity(cached, {});
    expect(counted).toEqual([hour('07:00:00', 4)]);
    counted = [];
    expect(rowsPerBucket(await readActivity(cached, {}))).toEqual([1, 2, 1, 1]);
    expect(counted).toEqual([hour('10:00:00')]);

    const past = { from: at('07:30:00'), to: at('09:30:00') };
    await readActivity(cached, past);
    counted = [];
    expect(await readActivity(cached, past)).toEqual(await fresh(past));
    expect(counted).toEqual([]);
  });

  it('serves no count of pruned rows from memory', async () => {
    const range = { from: at('07:00:00'), to: at('11:00:00') };
    expect(rowsPerBucket(await readActivity(cached, range))).toEqual([1, 2, 1, 1]);
    await pruneAuditLog({ reader: real, audit, clock }, { before: at('09:00:00'), actor: 'cli' });
    const chart = await readActivity(cached, range);
    expect(chart).toEqual(await fresh(range));
    // The prune's own row is written now, in the open hour.
    expect(rowsPerBucket(chart)).toEqual([0, 0, 1, 2]);
  });

  it('keeps no bucket that ended within the grace period: a row of an instance whose clock is behind still counts', async () => {
    // The last bucket, cut at 10:26, ended 4 minutes ago.
    const range = { from: at('07:00:00'), to: at('10:26:00') };
    await readActivity(cached, range);
    counted = [];
    await write(issued('refused'), '10:25:00');
    const chart = await readActivity(cached, range);
    expect(chart).toEqual(await fresh(range));
    expect(chart!.buckets.at(-1)!.totals).toEqual({ success: 1, refused: 1, error: 0 });
    expect(counted).toEqual([hour('10:00:00')]);

    clock.set(new Date(range.to.getTime() + ACTIVITY_GRACE_MS + 1));
    await readActivity(cached, range);
    counted = [];
    expect(await readActivity(cached, range)).toEqual(await fresh(range));
    expect(counted).toEqual([]);
  });
});
