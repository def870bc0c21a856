import { describe, expect, it } from 'vitest';
import { activityOf, MAX_DAYS, planActivity } from './activity.js';

const t = (iso: string) => new Date(`${iso}Z`);

describe('activity chart axis', () => {
  it('draws a span of up to 48 hours per hour, aligned on whole UTC hours', () => {
    expect(planActivity({ from: t('2026-03-10T06:30:00'), to: t('2026-03-10T18:00:00') }, undefined)).toEqual({ start: t('2026-03-10T06:00:00'), unit: 'hour', buckets: 12, truncated: false });
    expect(planActivity({ from: t('2026-03-10T00:00:00'), to: t('2026-03-12T00:00:00') }, undefined)).toMatchObject({ unit: 'hour', buckets: 48 });
    expect(planActivity({ from: t('2026-03-10T00:00:00'), to: t('2026-03-12T00:00:01') }, undefined)).toEqual({ start: t('2026-03-10T00:00:00'), unit: 'day', buckets: 3, truncated: false });
  });

  it('takes a missing end from the matching rows (the last row included), and draws nothing without rows or range', () => {
    const span = { first: t('2026-03-10T09:15:00'), last: t('2026-03-10T11:00:00') };
    expect(planActivity({}, span)).toEqual({ start: t('2026-03-10T09:00:00'), unit: 'hour', buckets: 3, truncated: false });
    expect(planActivity({ subject: 'nobody' }, undefined)).toBeUndefined();
    expect(planActivity({ from: t('2026-03-10T09:15:00') }, undefined)).toBeUndefined();
  });

  it('keeps the newest days of a longer span, at most MAX_DAYS buckets', () => {
    const plan = planActivity({}, { first: t('2025-01-01T00:00:00'), last: t('2026-03-10T11:00:00') });
    expect(plan).toEqual({ start: t('2026-01-10T00:00:00'), unit: 'day', buckets: MAX_DAYS, truncated: true });
  });

  it('lays counts out per bucket, each bucket cut to the filter range, families in declaration order', () => {
    const filter = { from: t('2026-03-10T06:30:00'), to: t('2026-03-10T08:45:00') };
    const activity = activityOf(filter, planActivity(filter, undefined)!, [
      { bucket: 2, family: 'upstream', outcome: 'success', count: 4 },
      { bucket: 0, family: 'token', outcome: 'refused', count: 3 },
      { bucket: 0, family: 'saml', outcome: 'refused', count: 1 },
      { bucket: 2, family: 'upstream', outcome: 'error', count: 1 },
    ]);
    expect(activity.families).toEqual(['saml', 'token', 'upstream']);
    expect(activity.buckets.map((b) => [b.from.toISOString(), b.to.toISOString(), b.totals])).toEqual([
      ['2026-03-10T06:30:00.000Z', '2026-03-10T07:00:00.000Z', { success: 0, refused: 4, error: 0 }],
      ['2026-03-10T07:00:00.000Z', '2026-03-10T08:00:00.000Z', { success: 0, refused: 0, error: 0 }],
      ['2026-03-10T08:00:00.000Z', '2026-03-10T08:45:00.000Z', { success: 4, refused: 0, error: 1 }],
    ]);
    expect(activity.buckets[0]!.counts.refused).toEqual({ token: 3, saml: 1 });
  });
});
