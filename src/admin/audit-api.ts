import { Hono, type Context } from 'hono';
import type { AuditLog } from '../audit/audit-log.js';
import { hashRow } from '../audit/chain.js';
import type { ChainMonitor } from '../audit/chain-status.js';
import type { Checkpoints, SigningKeyRows } from '../audit/checkpoints.js';
import type { AuditCheckpointStore } from '../audit/checkpoint-store.js';
import type { AuditReader } from '../audit/reader.js';
import { correlate } from '../audit/correlation.js';
import { EXPORT_FORMATS, EXPORT_MEDIA_TYPES, exportChunks, planExport, type ExportFormat } from '../audit/export.js';
import { describeFilter, parseAuditFilter, parsePageRequest, rowToJson } from '../audit/query.js';
import type { Clock } from '../core/clock.js';
import { InvalidRequest, NotFound } from '../core/oauth-errors.js';
import type { AppEnv } from '../http/env.js';
import { NO_STORE } from '../http/errors.js';
import { commitAudited } from '../audit/commit.js';
import type { AdminEnv, RequireAdmin } from './require-admin.js';

export interface AuditReviewDeps {
  reader: AuditReader;
  checkpointStore: AuditCheckpointStore;
  signingKeys: SigningKeyRows;
  audit: AuditLog;
  clock: Clock;
  issuer: string;
  checkpoints: Checkpoints;
  monitor: ChainMonitor;
}

/** One row with its recomputed-hash check and its correlation; undefined when there is no such row. */
export async function loadRowWithCorrelation(deps: AuditReviewDeps, id: number) {
  const row = await deps.reader.row(id);
  if (!row) return undefined;
  // Undefined only if the row was pruned in between: then there is nothing to show.
  const correlation = await correlate(deps.reader, id);
  if (!correlation) return undefined;
  return { row, hashMatches: hashRow(row) === row.hash, correlation };
}

/**
 * Streams an export as the response body, pulling one page of rows per chunk the client reads (constant memory
 * for any size of log). The export is audited (who, which filter, through which row) before the first byte.
 */
export async function streamExport(c: Context<AdminEnv>, deps: AuditReviewDeps): Promise<Response> {
  const params = new URL(c.req.url).searchParams;
  const format = (params.get('format') || 'jsonl') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new InvalidRequest('format: expected csv or jsonl');
  const filter = parseAuditFilter(params);
  const plan = await planExport(deps.reader, format, filter);
  const admin = c.get('admin');
  await commitAudited(deps, async (tx) =>
    await deps.audit.append(tx, {
      event: 'audit.export',
      outcome: 'success',
      requestId: c.get('requestId'),
      subject: admin.subject,
      data: { actor: 'console', format, filter: describeFilter(filter), through_id: plan.throughId },
    }),
  );
  const exportedAt = deps.clock.now();
  const chunks = exportChunks({ reader: deps.reader, checkpoints: deps.checkpointStore, signingKeys: deps.signingKeys }, plan, { exportedAt, issuer: deps.issuer });
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const stamp = exportedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return c.body(body, 200, {
    'Content-Type': EXPORT_MEDIA_TYPES[format],
    'Content-Disposition': `attachment; filename="campus-sts-audit-${stamp}.${format}"`,
    'Cache-Control': 'no-store',
  });
}

const rowId = (c: Context<AdminEnv>) => {
  const id = Number(c.req.param('id'));
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidRequest('id: expected a row id');
  return id;
};

/**
 * The JSON query API under /admin/api (role `auditor` reads; `admin` signs checkpoints). Errors are the
 * RFC 6749-shaped JSON of the app's one error mapping (`toErrorResponse`).
 */
export function auditApiRoutes(deps: AuditReviewDeps, requireAdmin: RequireAdmin): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/admin/api/session', requireAdmin('auditor'), (c) => {
      const a = c.get('admin');
      return c.json({ subject: a.subject, role: a.role, idp: a.idpId, csrf_token: a.csrfToken }, 200, NO_STORE);
    })
    .get('/admin/api/audit', requireAdmin('auditor'), async (c) => {
      const params = new URL(c.req.url).searchParams;
      if (params.has('format')) throw new InvalidRequest('format: use /admin/api/audit/export for exports');
      const filter = parseAuditFilter(params);
      const page = await deps.reader.page(filter, parsePageRequest(params));
      return c.json({ rows: page.rows.map(rowToJson), next_cursor: page.nextCursor ?? null, filter: describeFilter(filter) }, 200, NO_STORE);
    })
    .get('/admin/api/audit/status', requireAdmin('auditor'), async (c) => {
      const status = c.req.query('full') === 'true' ? await deps.monitor.refresh() : await deps.monitor.current();
      const cp = await deps.checkpoints.latest();
      return c.json({ ...status, latest_checkpoint: cp ? { id: cp.id, at: cp.at, last_id: cp.lastId, head_hash: cp.headHash, kid: cp.kid } : null }, 200, NO_STORE);
    })
    .get('/admin/api/audit/export', requireAdmin('auditor'), (c) => streamExport(c, deps))
    .get('/admin/api/audit/checkpoints', requireAdmin('auditor'), async (c) =>
      c.json({ checkpoints: (await deps.checkpoints.list(50)).map((cp) => ({ id: cp.id, at: cp.at, last_id: cp.lastId, head_hash: cp.headHash, rows: cp.rows, kid: cp.kid, jws: cp.jws })) }, 200, NO_STORE),
    )
    .post('/admin/api/audit/checkpoints', requireAdmin('admin'), async (c) => {
      const cp = await deps.checkpoints.create('console', { subject: c.get('admin').subject, requestId: c.get('requestId') });
      if (!cp) throw new InvalidRequest('the audit log is empty: nothing to sign');
      return c.json({ id: cp.id, at: cp.at, last_id: cp.lastId, head_hash: cp.headHash, rows: cp.rows, kid: cp.kid, jws: cp.jws }, 201, NO_STORE);
    })
    .get('/admin/api/audit/:id{[0-9]+}', requireAdmin('auditor'), async (c) => {
      const found = await loadRowWithCorrelation(deps, rowId(c));
      if (!found) throw new NotFound('no such audit row');
      return c.json({ row: rowToJson(found.row), hash_matches: found.hashMatches }, 200, NO_STORE);
    })
    .get('/admin/api/audit/:id{[0-9]+}/correlation', requireAdmin('auditor'), async (c) => {
      const found = await loadRowWithCorrelation(deps, rowId(c));
      if (!found) throw new NotFound('no such audit row');
      const { correlation } = found;
      return c.json({ rows: correlation.rows.map(({ row, link }) => ({ link, ...rowToJson(row) })), truncated: correlation.truncated }, 200, NO_STORE);
    });
}

/** GET /audit/checkpoints/latest: the newest signed checkpoint (a JWS, verifiable with /jwks.json), public. */
export function publicCheckpointRoutes(checkpoints: Checkpoints): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/audit/checkpoints/latest', async (c) => {
    const cp = await checkpoints.latest();
    if (!cp) throw new NotFound('no checkpoint has been signed yet');
    return c.body(cp.jws, 200, { 'Content-Type': 'application/jwt', 'Cache-Control': 'no-cache' });
  });
}
