import type { AuditRow } from '../db/schema/audit-log.js';
import type { AuditReader } from './reader.js';

/**
 * How a row joined the correlation of another: it is that row (`self`), shares an HTTP request (`request`),
 * concerns the same token (`jti`: launch.issue → launch.redeem → upstream calls), or is the SAML login start
 * that most probably led to the login (`login_start`: the start of a sign-in is its own request, and the
 * AuthnRequest id is not recorded, so it is matched by purpose, survey and time — and only when unambiguous).
 */
export type CorrelationLink = 'self' | 'request' | 'jti' | 'login_start';

export interface CorrelatedRow {
  row: AuditRow;
  link: CorrelationLink;
}

export interface Correlation {
  rows: CorrelatedRow[];
  /** True when the walk stopped at `maxRows` (a client reusing one X-Request-Id could fan out). */
  truncated: boolean;
  /** Sign-in starts that matched equally well, when more than one did (none is linked then). */
  ambiguousLoginStarts: number;
}

const MAX_ROUNDS = 3;

/**
 * Follows one launch (or any row) through the log: rows of the same request, rows about the same token, and
 * again from those (three rounds), plus the sign-in start before a SAML login. Sorted by id.
 */
export async function correlate(reader: AuditReader, id: number, opts: { loginWindowMs: number; maxRows?: number }): Promise<Correlation | undefined> {
  const start = await reader.row(id);
  if (!start) return undefined;
  const maxRows = opts.maxRows ?? 200;
  const found = new Map<number, CorrelatedRow>([[start.id, { row: start, link: 'self' }]]);
  const requests = new Set<string>();
  const jtis = new Set<string>();
  let newRequests = start.requestId ? [start.requestId] : [];
  let newJtis = start.jti ? [start.jti] : [];
  let truncated = false;
  for (let round = 0; round < MAX_ROUNDS && (newRequests.length || newJtis.length) && !truncated; round++) {
    newRequests.forEach((r) => requests.add(r));
    newJtis.forEach((j) => jtis.add(j));
    const matches = await reader.linked(newRequests, newJtis, maxRows + 1);
    const nextRequests = new Set<string>();
    const nextJtis = new Set<string>();
    for (const row of matches) {
      if (found.has(row.id)) continue;
      if (found.size >= maxRows) {
        truncated = true;
        break;
      }
      found.set(row.id, { row, link: row.jti && jtis.has(row.jti) ? 'jti' : 'request' });
      if (row.requestId && !requests.has(row.requestId)) nextRequests.add(row.requestId);
      if (row.jti && !jtis.has(row.jti)) nextJtis.add(row.jti);
    }
    newRequests = [...nextRequests];
    newJtis = [...nextJtis];
  }

  let ambiguousLoginStarts = 0;
  const login = [...found.values()].map((f) => f.row).find((r) => r.event === 'saml.login' && r.outcome === 'success');
  if (login && !truncated) {
    const candidates = await reader.loginStarts(login, opts.loginWindowMs, 2);
    if (candidates.length === 1) found.set(candidates[0]!.id, { row: candidates[0]!, link: 'login_start' });
    else ambiguousLoginStarts = candidates.length;
  }
  return { rows: [...found.values()].sort((a, b) => a.row.id - b.row.id), truncated, ambiguousLoginStarts };
}
