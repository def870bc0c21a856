import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JWK } from 'jose';
import { z } from 'zod';
import type { AuditRow } from '../db/schema/audit-log.js';
import { hashRow } from './chain.js';
import { keysFromJwks, verifyCheckpoint, type CheckpointKeys } from './checkpoints.js';
import { EXPORT_MAGIC } from './export.js';
import { createChainAudit, type CheckpointClaim } from './verify-log.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const nullable = z.string().nullable();

const headerLine = z.object({
  type: z.literal('header'),
  format: z.literal(EXPORT_MAGIC),
  version: z.literal(1),
  issuer: z.string(),
  exported_at: z.string(),
  filter: z.string(),
  complete: z.boolean(),
  through_id: z.number().int(),
  anchor: z.object({ first_id: z.number().int().min(1), prev_hash: hex64 }),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
});
const rowLine = z.strictObject({
  type: z.literal('row'),
  id: z.number().int().min(1),
  at: z.iso.datetime(),
  event: z.string(),
  outcome: z.enum(['success', 'refused', 'error']),
  request_id: nullable,
  client_id: nullable,
  subject: nullable,
  audience: nullable,
  scope: nullable,
  jti: nullable,
  reason: nullable,
  data: nullable,
  prev_hash: z.string(),
  hash: z.string(),
});
const checkpointLine = z.object({ type: z.literal('checkpoint'), id: z.number().int(), last_id: z.number().int(), head_hash: hex64, jws: z.string() });
const endLine = z.object({ type: z.literal('end'), rows: z.number().int(), last_id: z.number().int().nullable(), head_hash: z.string().nullable() });

export interface ExportVerification {
  ok: boolean;
  /** What was found, one line each, for the CLI. */
  summary: string[];
  problems: string[];
  rows: number;
  complete: boolean;
}

/**
 * Verifies an export file offline (`campus-sts audit verify --file export.jsonl`), streaming it line by line.
 * A complete export is checked like the database: the chain from its anchor, the prune anchor, and the signed
 * checkpoints (against `jwks` when given, else the keys the file carries, which proves consistency, not
 * origin). A filtered export has gaps by design: each row's hash is recomputed and consecutive rows must link.
 * A file cut short (no end line, or a different count) is reported.
 */
// long: one pass over the file in its line order (header, checkpoints, rows, end line) sharing one line cursor.
export async function verifyExportFile(path: string, opts: { jwks?: { keys: JWK[] }; external?: string[] } = {}): Promise<ExportVerification> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const problems: string[] = [];
  const summary: string[] = [];
  let header: z.infer<typeof headerLine> | undefined;
  const checkpointLines: z.infer<typeof checkpointLine>[] = [];
  let end: z.infer<typeof endLine> | undefined;
  let lineNo = 0;
  let rows = 0;

  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<{ n: number; value: unknown } | undefined> => {
    const r = await iterator.next();
    if (r.done) return undefined;
    lineNo += 1;
    try {
      return { n: lineNo, value: JSON.parse(r.value) };
    } catch {
      throw new ExportFileError(`line ${lineNo} is not JSON`);
    }
  };

  const first = await next();
  const h = headerLine.safeParse(first?.value);
  if (!h.success) throw new ExportFileError(`${path} is not a campus-sts JSON Lines audit export (line 1 is not its header)`);
  header = h.data;
  const keys: CheckpointKeys = keysFromJwks(opts.jwks ?? (header.jwks as { keys: JWK[] }));

  // Checkpoints come first; read them and verify their signatures before the rows stream past.
  let pending = await next();
  while (pending && (pending.value as { type?: unknown }).type === 'checkpoint') {
    const cp = checkpointLine.safeParse(pending.value);
    if (!cp.success) problems.push(`line ${pending.n}: malformed checkpoint`);
    else checkpointLines.push(cp.data);
    pending = await next();
  }
  const claims = await checkpointClaims(checkpointLines, opts.external ?? [], keys, problems);

  // The rows, as an async source turned into batches the synchronous chain walk can consume.
  const rowSource = async function* (): AsyncGenerator<AuditRow> {
    for (; pending; pending = await next()) {
      const value = pending.value as { type?: unknown };
      if (value.type === 'end') {
        const e = endLine.safeParse(value);
        if (!e.success) problems.push(`line ${pending.n}: malformed end line`);
        else end = e.data;
        pending = await next();
        if (pending) problems.push(`line ${pending.n}: content after the end line`);
        return;
      }
      const r = rowLine.safeParse(value);
      if (!r.success) throw new ExportFileError(`line ${pending.n}: not a row line (${r.error.issues[0]?.path.join('.') ?? ''}: ${r.error.issues[0]?.message ?? ''})`);
      rows += 1;
      yield toRow(r.data);
    }
  };

  if (header.complete) {
    const walk = createChainAudit({ firstId: header.anchor.first_id, prevHash: header.anchor.prev_hash, stored: header.anchor.first_id > 1 }, claims);
    for await (const row of rowSource()) walk.push(row);
    const verdict = walk.finish();
    if (!verdict.chain.ok) problems.unshift(`audit chain broken at row ${verdict.chain.badRowId}: ${verdict.chain.problem}`);
    problems.push(...verdict.problems);
    if (verdict.chain.ok) summary.push(`chain intact: ${verdict.chain.rows} rows${verdict.chain.lastId === null ? '' : `, rows ${header.anchor.first_id}..${verdict.chain.lastId}, head ${verdict.chain.headHash}`}`);
    summary.push(`checkpoints: ${verdict.checked} checked${verdict.skipped ? `, ${verdict.skipped} older than the anchor` : ''}`);
  } else {
    const gaps = await checkFilteredRows(rowSource(), problems);
    summary.push(`filtered export (${header.filter}): ${rows} rows, each hash recomputed; ${gaps} gap(s) left by the filter; links checked between consecutive rows`);
  }
  if (!end) problems.push(`the file ends without its end line: it was cut short (${rows} rows read)`);
  else if (end.rows !== rows) problems.push(`the end line counts ${end.rows} rows but the file holds ${rows}`);
  if (!opts.jwks && checkpointLines.length > 0) summary.push('checkpoint signatures checked against the keys inside the file; pass --jwks with the published JWKS to check who signed them');
  return { ok: problems.length === 0, summary, problems, rows, complete: header.complete };
}

/** The checkpoints in the file and those given (`--checkpoint`), each verified against `keys`; failures are problems. */
async function checkpointClaims(lines: z.infer<typeof checkpointLine>[], external: string[], keys: CheckpointKeys, problems: string[]): Promise<CheckpointClaim[]> {
  const claims: CheckpointClaim[] = [];
  for (const cp of lines) {
    try {
      const signed = await verifyCheckpoint(cp.jws, keys);
      if (signed.last_id !== cp.last_id || signed.head_hash !== cp.head_hash) problems.push(`checkpoint ${cp.id}: the line does not match what was signed`);
      claims.push({ label: `checkpoint ${cp.id} (row ${signed.last_id})`, lastId: signed.last_id, headHash: signed.head_hash });
    } catch (err) {
      problems.push(`checkpoint ${cp.id}: signature does not verify (${(err as Error).message})`);
    }
  }
  for (const [i, jws] of external.entries()) {
    try {
      const signed = await verifyCheckpoint(jws, keys);
      claims.push({ label: `given checkpoint ${i + 1} (row ${signed.last_id})`, lastId: signed.last_id, headHash: signed.head_hash });
    } catch (err) {
      problems.push(`given checkpoint ${i + 1}: signature does not verify (${(err as Error).message})`);
    }
  }
  return claims;
}

/**
 * A filtered export has gaps by design: each row's hash is recomputed, and consecutive rows (ids n, n+1) must
 * link. Returns how many gaps the filter left.
 */
async function checkFilteredRows(rows: AsyncIterable<AuditRow>, problems: string[]): Promise<number> {
  let prev: AuditRow | undefined;
  let gaps = 0;
  for await (const row of rows) {
    if (prev && row.id <= prev.id) problems.push(`row ${row.id} follows row ${prev.id}: rows are out of order`);
    if (hashRow(row) !== row.hash) problems.push(`row ${row.id} was edited: its content does not match its hash`);
    if (prev && row.id === prev.id + 1 && row.prevHash !== prev.hash) problems.push(`row ${row.id} does not link to row ${prev.id}`);
    if (prev && row.id > prev.id + 1) gaps += 1;
    prev = row;
  }
  return gaps;
}

/** A file that is not an export at all (or unreadable): reported as one clear message. */
export class ExportFileError extends Error {}

function toRow(r: z.infer<typeof rowLine>): AuditRow {
  return {
    id: r.id,
    at: new Date(r.at),
    event: r.event,
    outcome: r.outcome,
    requestId: r.request_id,
    clientId: r.client_id,
    subject: r.subject,
    audience: r.audience,
    scope: r.scope,
    jti: r.jti,
    reason: r.reason,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
