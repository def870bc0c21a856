import type { Clock } from '../core/clock.js';
import { bucketRange, UNIT_MS, type ActivityCount } from './activity.js';
import { filterToParams } from './query.js';
import type { AuditReader } from './reader.js';

/**
 * The review page's activity chart, with the counts of closed buckets kept in memory. Counting every row of the
 * window takes ~1 s at a million rows, and the page draws the chart on every load (page 2, 3… of a filter too).
 * Rows are append-only and stamped with their write time, so a bucket that ended a while ago never changes again,
 * except by the retention prune, which removes the oldest rows and moves the anchor: its first id is in every key.
 * Engine-free: both engines' readers count what is not held.
 */

/**
 * How long after its end a bucket may still gain rows: the clock skew between instances writing to one database,
 * and transactions stamped before its end that commit after it.
 */
export const ACTIVITY_GRACE_MS = 5 * 60_000;
/** Buckets held; the least recently used go first (2,000 are 33 filters' 60 days: a few MB at most). */
const CAPACITY = 2_000;

type BucketCounts = Omit<ActivityCount, 'bucket'>[];

/**
 * `reader` whose `activity` returns the same counts, counted in SQL from the first bucket not held on. One per
 * process (each instance keeps its own: the anchor and the grace period make that safe).
 */
export function withActivityCache(reader: AuditReader, clock: Clock): AuditReader {
  const entries = new Map<string, BucketCounts>();
  // A Map iterates in insertion order: re-inserting on each use keeps the least recently used first.
  const put = (key: string, counts: BucketCounts) => {
    entries.delete(key);
    entries.set(key, counts);
    if (entries.size > CAPACITY) entries.delete(entries.keys().next().value!);
  };
  const get = (key: string) => {
    const counts = entries.get(key);
    if (counts) put(key, counts);
    return counts;
  };

  return {
    ...reader,
    async activity(filter, window) {
      const closedBefore = clock.now().getTime() - ACTIVITY_GRACE_MS;
      const ranges = Array.from({ length: window.buckets }, (_, i) => bucketRange(filter, window, i));
      // Bucket ends only grow: the closed buckets are the window's first ones.
      const closed = ranges.filter((r) => r.to < closedBefore).length;
      if (!closed) return reader.activity(filter, window);
      // The anchor before the counts: counts taken before a prune must never be stored under the anchor after it.
      const { firstId } = await reader.anchor();
      // A key names the rows a bucket counts (its times, cut to the filter's; the rest of the filter), not its unit.
      const scope = filterToParams({ ...filter, from: undefined, to: undefined }).toString();
      const keys = ranges.slice(0, closed).map((r) => `${firstId} ${r.from} ${r.to} ${scope}`);
      const hits: BucketCounts[] = [];
      for (const key of keys) {
        const counts = get(key);
        if (!counts) break;
        hits.push(counts);
      }
      const cached = hits.flatMap((counts, bucket) => counts.map((c) => ({ bucket, ...c })));
      const first = hits.length;
      if (first === window.buckets) return cached;

      const rest = { start: new Date(window.start.getTime() + first * UNIT_MS[window.unit]), unit: window.unit, buckets: window.buckets - first };
      const counted = (await reader.activity(filter, rest)).map((c) => ({ ...c, bucket: c.bucket + first }));
      for (let bucket = first; bucket < closed; bucket++) {
        put(keys[bucket]!, counted.filter((c) => c.bucket === bucket).map(({ family, outcome, count }) => ({ family, outcome, count })));
      }
      return [...cached, ...counted];
    },
  };
}
