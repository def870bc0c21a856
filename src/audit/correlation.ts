import type { AuditRow } from '../db/schema/audit-log.js';
import type { AuditReader } from './reader.js';

/**
 * How a row joined the correlation of another: it is that row (`self`), shares an HTTP request (`request`),
 * concerns the same token (`jti`: launch.issue → launch.redeem → upstream calls), or belongs to the same sign-in
 * (`sign_in`): a login's rows record the request that started it (`data.start_request`), so a sign-in start and
 * its login are linked exactly, both ways, however many launches of the same survey overlap.
 */
export type CorrelationLink = 'self' | 'request' | 'jti' | 'sign_in';

export interface CorrelatedRow {
  row: AuditRow;
  link: CorrelationLink;
}

export interface Correlation {
  rows: CorrelatedRow[];
  /** True when the walk stopped at `maxRows` (a client reusing one X-Request-Id could fan out). */
  truncated: boolean;
}

const MAX_ROUNDS = 3;

/** The requests a row leads to: the one it was written in, and the one that started its sign-in (if recorded). */
function requestsOf(row: AuditRow): string[] {
  const start = row.data ? (JSON.parse(row.data) as { start_request?: unknown }).start_request : undefined;
  return [row.requestId, typeof start === 'string' ? start : null].filter((r): r is string => !!r);
}

/**
 * Follows one launch (or any row) through the log: rows of the same request, about the same token, and of the
 * same sign-in (its start request), and again from those (three rounds). Sorted by id.
 */
export async function correlate(reader: AuditReader, id: number, opts: { maxRows?: number } = {}): Promise<Correlation | undefined> {
  const start = await reader.row(id);
  if (!start) return undefined;
  const maxRows = opts.maxRows ?? 200;
  const found = new Map<number, CorrelatedRow>([[start.id, { row: start, link: 'self' }]]);
  const asked = new Set<string>();
  // The requests found rows were written in: a row of another request reached through a request id is `sign_in`.
  const written = new Set(start.requestId ? [start.requestId] : []);
  const jtis = new Set<string>();
  let newRequests = new Set(requestsOf(start));
  let newJtis = new Set(start.jti ? [start.jti] : []);
  let truncated = false;
  for (let round = 0; round < MAX_ROUNDS && (newRequests.size || newJtis.size) && !truncated; round++) {
    newRequests.forEach((r) => asked.add(r));
    newJtis.forEach((j) => jtis.add(j));
    const matches = await reader.linked([...newRequests], [...newJtis], maxRows + 1);
    const nextRequests = new Set<string>();
    const nextJtis = new Set<string>();
    for (const row of matches) {
      if (found.has(row.id)) continue;
      if (found.size >= maxRows) {
        truncated = true;
        break;
      }
      found.set(row.id, { row, link: row.jti && jtis.has(row.jti) ? 'jti' : row.requestId && written.has(row.requestId) ? 'request' : 'sign_in' });
      requestsOf(row).forEach((r) => asked.has(r) || nextRequests.add(r));
      if (row.jti && !jtis.has(row.jti)) nextJtis.add(row.jti);
    }
    matches.forEach((r) => r.requestId && written.add(r.requestId));
    newRequests = nextRequests;
    newJtis = nextJtis;
  }
  return { rows: [...found.values()].sort((a, b) => a.row.id - b.row.id), truncated };
}
