import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../db/schema/audit-log.js';
import type { MakeStore, StoreHarness } from '../db/sqlite-harness.contract.js';
import type { AuditLogStore } from './audit-log.js';
import { GENESIS_HASH } from './chain.js';
import type { AuditEvent } from './events.js';
import { decodeCursor } from './query.js';
import { eachRow, type AuditReader } from './reader.js';

export interface AuditLogAndReader {
  log: AuditLogStore;
  reader: AuditReader;
}

const issued = (jti: string, more: Partial<AuditEvent> = {}) =>
  ({ event: 'token.issue', outcome: 'success', jti, data: { grant_type: 'client_credentials' }, ...more }) as AuditEvent;
const started = (requestId: string, data: Record<string, unknown>) => ({ event: 'saml.start', outcome: 'success', requestId, data }) as AuditEvent;

/** What every engine's audit reader must do: filtered keyset pages, lookups, id-ordered pages, the prune. */
export function describeAuditReaderContract(name: string, makeStore: MakeStore<AuditLogAndReader>): void {
  describe(`AuditReader contract (${name})`, () => {
    let h: StoreHarness<AuditLogAndReader>;
    beforeEach(async () => {
      h = await makeStore();
    });
    afterEach(() => h.close());
    const append = (event: AuditEvent, at?: Date) => h.commit((tx) => h.store.log.append(tx, event, at));
    const all = async (range: Parameters<AuditReader['pages']>[0]) => {
      const out: AuditRow[] = [];
      for await (const row of eachRow(h.store.reader.pages(range))) out.push(row);
      return out;
    };

    it('pages a filter by keyset cursor, newest or oldest first, and finds rows by id', async () => {
      const rows: AuditRow[] = [];
      for (let i = 1; i <= 5; i++) rows.push(await append(issued(`j${i}`, { clientId: i % 2 ? 'odd' : 'even', audience: ['https://a.example/x_%', 'b'] })));
      const first = await h.store.reader.page({ client: 'odd' }, { limit: 2, order: 'desc' });
      expect(first.rows.map((r) => r.id)).toEqual([5, 3]);
      const second = await h.store.reader.page({ client: 'odd' }, { limit: 2, order: 'desc', after: decodeCursor(first.nextCursor!, 'desc') });
      expect([second.rows.map((r) => r.id), second.nextCursor]).toEqual([[1], undefined]);
      expect((await h.store.reader.page({}, { limit: 10, order: 'asc', after: 3 })).rows.map((r) => r.id)).toEqual([4, 5]);
      expect((await h.store.reader.page({ audience: 'https://a.example/x_%' }, { limit: 10, order: 'asc' })).rows).toHaveLength(5);
      expect((await h.store.reader.page({ audience: 'https://a.example/x' }, { limit: 10, order: 'asc' })).rows).toEqual([]);
      expect((await h.store.reader.page({ event: ['token.*'], jti: 'j2' }, { limit: 10, order: 'asc' })).rows).toEqual([rows[1]]);
      expect((await h.store.reader.page({ event: ['token.i*' as string] }, { limit: 10, order: 'asc' })).rows).toEqual([]);
      expect(await h.store.reader.row(2)).toEqual(rows[1]);
      expect(await h.store.reader.row(9)).toBeUndefined();
      expect(await h.store.reader.head()).toEqual(rows[4]);
    });

    it('finds rows linked by request, by the request that started their sign-in, or by token, and filters by survey and time', async () => {
      const a = await append(issued('t1', { requestId: 'r1' }));
      await append(issued('t2', { requestId: 'r2' }));
      const c = await append(issued('t3', { requestId: 'r3', jti: 't1' }));
      expect((await h.store.reader.linked(['r1'], ['t1'], 10)).map((r) => r.id)).toEqual([a.id, c.id]);
      expect(await h.store.reader.linked([], [], 10)).toEqual([]);
      expect(await h.store.reader.linked(['r1', 'r2', 'r3'], [], 2)).toHaveLength(2);

      const match = await append(started('s1', { purpose: 'launch', idp: 'campus', survey: 's' }));
      const other = await append(started('s2', { purpose: 'launch', idp: 'campus', survey: 's' }));
      h.clock.advance(60_000);
      const login = await append({ event: 'saml.login', outcome: 'success', requestId: 'l', data: { purpose: 'launch', idp: 'campus', survey: 's', start_request: 's1' } } as AuditEvent);
      expect(await h.store.reader.linked(['s1'], [], 10)).toEqual([match, login]);
      expect(await h.store.reader.linked(['s2'], [], 10)).toEqual([other]);
      const oldestFirst = { limit: 10, order: 'asc' } as const;
      expect((await h.store.reader.page({ survey: 's' }, oldestFirst)).rows).toEqual([match, other, login]);
      expect((await h.store.reader.page({ from: login.at }, oldestFirst)).rows).toEqual([login]);
      expect((await h.store.reader.page({ to: login.at, event: ['saml.*'] }, oldestFirst)).rows.map((r) => r.requestId)).toEqual(['s1', 's2']);
      expect(await h.store.reader.linked(['s1'], [], 1)).toEqual([match]);
    });

    it('counts the rows of a filter per hour or day, event family and outcome, in the window only', async () => {
      const at = (iso: string) => new Date(`2026-11-23T${iso}Z`);
      const call = { upstream: 'sis', method: 'GET', status: 200, latency_ms: 5 };
      const rows: [AuditEvent, string][] = [
        [issued('before'), '07:59:59.999'],
        [issued('a'), '08:10:00'],
        [issued('b'), '08:20:00'],
        [issued('c', { outcome: 'refused' }), '08:59:59.999'],
        [issued('other-client', { clientId: 'other' }), '08:30:00'],
        [{ event: 'upstream.call', outcome: 'success', data: call }, '09:00:00'],
        [{ event: 'upstream.refresh', outcome: 'error', data: { upstream: 'sis', grant: 'refresh_token' } }, '09:15:00'],
        [{ event: 'saml.login', outcome: 'refused', data: {} }, '10:30:00'],
        [{ event: 'saml.login', outcome: 'refused', data: {} }, '10:31:00'],
        [{ event: 'key.rotate_master', outcome: 'success', data: { key_id: 'k2', previous_key_ids: [], resealed: {} } }, '11:59:59.999'],
        [issued('at-end'), '12:00:00'],
      ];
      for (const [event, time] of rows) await append({ clientId: 'c1', ...event } as AuditEvent, at(time));
      const hours = { start: at('08:00:00'), unit: 'hour', buckets: 4 } as const;
      const sorted = (counts: Awaited<ReturnType<AuditReader['activity']>>) =>
        [...counts].sort((x, y) => x.bucket - y.bucket || x.family.localeCompare(y.family) || x.outcome.localeCompare(y.outcome));
      expect(sorted(await h.store.reader.activity({ client: 'c1' }, hours))).toEqual([
        { bucket: 0, family: 'token', outcome: 'refused', count: 1 },
        { bucket: 0, family: 'token', outcome: 'success', count: 2 },
        { bucket: 1, family: 'upstream', outcome: 'error', count: 1 },
        { bucket: 1, family: 'upstream', outcome: 'success', count: 1 },
        { bucket: 2, family: 'saml', outcome: 'refused', count: 2 },
        { bucket: 3, family: 'key', outcome: 'success', count: 1 },
      ]);
      // The filter's own time range and outcome apply inside the window.
      expect(sorted(await h.store.reader.activity({ from: at('08:15:00'), to: at('10:31:00'), outcome: 'refused' }, hours))).toEqual([
        { bucket: 0, family: 'token', outcome: 'refused', count: 1 },
        { bucket: 2, family: 'saml', outcome: 'refused', count: 1 },
      ]);
      const days = { start: new Date('2026-11-22T00:00:00Z'), unit: 'day', buckets: 2 } as const;
      expect(sorted(await h.store.reader.activity({ event: ['token.*'] }, days))).toEqual([{ bucket: 1, family: 'token', outcome: 'refused', count: 1 }, { bucket: 1, family: 'token', outcome: 'success', count: 5 }]);
      expect(await h.store.reader.activitySpan({ event: ['saml.*', 'key.rotate_master'] })).toEqual({ first: at('10:30:00'), last: at('11:59:59.999') });
      expect(await h.store.reader.activitySpan({ subject: 'nobody' })).toBeUndefined();
    });

    it('reads rows in id order, in pages, within a range and a filter', async () => {
      await h.commit(async (tx) => {
        for (let i = 1; i <= 2500; i++) await h.store.log.append(tx, issued(`p${i}`, { outcome: i % 3 ? 'success' : 'refused', ...(i % 3 ? {} : { data: { grant_type: 'x', error: 'invalid_scope' } }) }));
      });
      const pages: AuditRow[][] = [];
      for await (const page of h.store.reader.pages({ after: 0 })) pages.push(page);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.flat().map((r) => r.id)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
      expect((await all({ after: 10, through: 20 })).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
      expect((await all({ after: 0, through: 2400, filter: { outcome: 'refused' } })).map((r) => r.id)).toEqual(Array.from({ length: 800 }, (_, i) => 3 * (i + 1)));
      expect(await all({ after: 2500 })).toEqual([]);
    });

    it('prunes the prefix written before a time, moving the anchor, in the transaction of its caller', async () => {
      expect(await h.store.reader.anchor()).toEqual({ firstId: 1, prevHash: GENESIS_HASH, prunedAt: undefined });
      const old = [await append(issued('o1')), await append(issued('o2'))];
      h.clock.advance(10_000);
      const before = h.clock.now();
      await append(issued('young'));
      // Written out of time order (another instance): it stops the prefix, so the prune leaves no hole.
      await append(issued('late-old'), new Date(before.getTime() - 1));
      await expect(h.commit((tx) => h.store.reader.pruneCut(tx, new Date(0)))).resolves.toBeUndefined();
      const cut = await h.commit((tx) => h.store.reader.pruneCut(tx, before));
      expect(cut).toEqual({ cut: old[1], removed: 2 });

      await expect(h.commit(async (tx) => (await h.store.reader.prune(tx, old[1]!, before), Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
      expect((await all({ after: 0 })).map((r) => r.jti)).toEqual(['o1', 'o2', 'young', 'late-old']);

      await h.commit((tx) => h.store.reader.prune(tx, old[1]!, before));
      expect(await h.store.reader.anchor()).toEqual({ firstId: 3, prevHash: old[1]!.hash, prunedAt: before });
      expect((await all({ after: 0 })).map((r) => r.jti)).toEqual(['young', 'late-old']);
      expect(await h.commit((tx) => h.store.reader.anchor(tx))).toEqual({ firstId: 3, prevHash: old[1]!.hash, prunedAt: before });
      expect(await h.commit((tx) => h.store.reader.pruneCut(tx, before))).toBeUndefined();
    });
  });
}
