import type { AuditRow } from '../db/schema/audit-log.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';
import { publicJwksOf, type SigningKeyRows } from './checkpoints.js';
import { describeFilter, isEmptyFilter, type AuditFilter } from './query.js';
import type { AuditReader } from './reader.js';

export type ExportFormat = 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl'];
export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' };

/** Identifies an export file (its first line) so `audit verify --file` knows what it reads. */
export const EXPORT_MAGIC = 'campus-sts-audit-export';

/** The columns of a CSV export, and the members of a JSONL row line: the stored columns, exactly. */
export const EXPORT_COLUMNS = ['id', 'at', 'event', 'outcome', 'request_id', 'client_id', 'subject', 'audience', 'scope', 'jti', 'reason', 'data', 'prev_hash', 'hash'] as const;

export interface ExportPlan {
  format: ExportFormat;
  filter: AuditFilter;
  /** The newest row the export may contain, fixed at the start: rows appended meanwhile are not half-included. */
  throughId: number;
}

/** Fixes what an export will contain (call before auditing the export, so the audit row names `throughId`). */
export async function planExport(reader: AuditReader, format: ExportFormat, filter: AuditFilter): Promise<ExportPlan> {
  return { format, filter, throughId: (await reader.head())?.id ?? 0 };
}

/** What an export reads: the rows, the checkpoints, and the signing keys' public halves. */
export interface ExportSources {
  reader: AuditReader;
  checkpoints: AuditCheckpointStore;
  signingKeys: SigningKeyRows;
}

/**
 * The export as text chunks (one per page of rows), generated lazily: the caller pulls the next chunk when it
 * can write it (and only then is the next page read) (an HTTP stream's pull, or a file's drain), so a year of rows streams in constant memory.
 *
 * JSON Lines: a header (filter, anchor, the public signing keys), the signed checkpoints the export can be
 * checked against (before the rows, so a verifier knows which rows they vouch for while streaming), one line
 * per row with every stored column verbatim (so each hash can be recomputed), and an end line with the count:
 * a cut-off file is detected. CSV: the same row columns under a header line, for spreadsheets.
 */
export async function* exportChunks(src: ExportSources, plan: ExportPlan, meta: { exportedAt: Date; issuer: string }): AsyncGenerator<string> {
  const complete = isEmptyFilter(plan.filter);
  const anchor = await src.reader.anchor();
  if (plan.format === 'jsonl') {
    const jwks = await publicJwksOf(src.signingKeys);
    yield jsonLine({
      type: 'header',
      format: EXPORT_MAGIC,
      version: 1,
      issuer: meta.issuer,
      exported_at: meta.exportedAt.toISOString(),
      filter: describeFilter(plan.filter),
      complete,
      through_id: plan.throughId,
      anchor: { first_id: anchor.firstId, prev_hash: anchor.prevHash },
      jwks: { keys: jwks },
    });
    // Checkpoints vouch for rows of the whole chain; only a complete export has the rows to check them against.
    if (complete) {
      const checkpoints = (await src.checkpoints.all()).filter((c) => c.lastId >= anchor.firstId - 1 && c.lastId <= plan.throughId);
      yield checkpoints
        .map((c) => jsonLine({ type: 'checkpoint', id: c.id, at: c.at.toISOString(), last_id: c.lastId, head_hash: c.headHash, rows: c.rows, kid: c.kid, jws: c.jws }))
        .join('');
    }
  } else {
    yield `${EXPORT_COLUMNS.join(',')}\r\n`;
  }
  let rows = 0;
  let last: AuditRow | undefined;
  for await (const page of src.reader.pages({ after: 0, through: plan.throughId, filter: plan.filter })) {
    rows += page.length;
    last = page.at(-1)!;
    yield page.map(plan.format === 'jsonl' ? (r) => jsonLine({ type: 'row', ...exportRow(r) }) : csvLine).join('');
  }
  if (plan.format === 'jsonl') yield jsonLine({ type: 'end', rows, last_id: last?.id ?? null, head_hash: last?.hash ?? null });
}

/** A row as exported: stored columns verbatim (`data` stays the stored JSON text, `at` ISO 8601 with ms). */
export function exportRow(r: AuditRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    event: r.event,
    outcome: r.outcome,
    request_id: r.requestId,
    client_id: r.clientId,
    subject: r.subject,
    audience: r.audience,
    scope: r.scope,
    jti: r.jti,
    reason: r.reason,
    data: r.data,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function csvLine(r: AuditRow): string {
  const row = exportRow(r);
  return `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
}

/**
 * One RFC 4180 cell. A value a spreadsheet would run as a formula (= + - @, tab, CR) is prefixed with `'`
 * (OWASP CSV injection); values the IdP or a client chose (subject, request id, reasons) reach this file.
 * A value that already starts with `'` gets one too, so the prefix can be undone without ambiguity.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r']/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
