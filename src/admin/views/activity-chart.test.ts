import { describe, expect, it } from 'vitest';
import { activityOf, planActivity } from '../../audit/activity.js';
import { activityPanel } from './activity-panel.js';
import { periodText, refusedRowsHref } from './activity-chart.js';

const t = (iso: string) => new Date(`${iso}Z`);

describe('activity chart view', () => {
  it('names whole days by their date, and cut ones by their exact range', () => {
    const filter = { from: t('2026-03-10T12:00:00'), to: t('2026-03-13T00:00:00'), subject: 'alice@example.edu' };
    const activity = activityOf(filter, planActivity(filter, undefined)!, []);
    expect(activity.unit).toBe('day');
    expect(activity.buckets.map((b) => periodText(b, 'day'))).toEqual(['2026-03-10 12:00 – 2026-03-11 00:00', '2026-03-11', '2026-03-12']);
    // A bucket's link keeps the rest of the filter and lists exactly the rows its bar counts.
    expect(refusedRowsHref(filter, activity.buckets[0]!)).toBe('/admin/audit?from=2026-03-10T12%3A00%3A00.000Z&to=2026-03-11T00%3A00%3A00.000Z&subject=alice%40example.edu&outcome=refused');
  });

  it('draws with classes only (the CSP allows no style attribute and no script), and says when nothing matched', async () => {
    const filter = { from: t('2026-03-10T06:00:00'), to: t('2026-03-10T09:00:00') };
    const drawn = String(await activityPanel(activityOf(filter, planActivity(filter, undefined)!, [{ bucket: 1, family: 'token', outcome: 'refused', count: 3 }]), filter));
    expect(drawn).toContain('<svg class="activity"');
    expect(drawn).not.toMatch(/<script|\sstyle=|<style|javascript:|\son[a-z]+=/i);
    const empty = String(await activityPanel(activityOf(filter, planActivity(filter, undefined)!, []), filter));
    expect(empty).toContain('<p id="activity-summary">Per hour, 2026-03-10 06:00 to 2026-03-10 09:00 UTC: 0 granted, 0 refused, 0 failed.');
    expect(empty).not.toContain('<svg');
    expect(activityPanel(undefined, {})).toBe('');
  });
});
