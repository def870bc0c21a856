import { sql, type Param, type Placeholder } from 'drizzle-orm';
import type { z } from 'zod';
import type { AuditRow } from '../db/schema/audit-log.js';
import { GENESIS_HASH, hashRow } from './chain.js';
import type { auditEventSchema } from './events.js';

/** An audit event as `auditEventSchema` passed it (client fields already cut to size). */
export type CheckedAuditEvent = z.output<typeof auditEventSchema>;

/**
 * The row that records `e` at `at` on top of the chain's `head` (the genesis hash on an empty log), with its
 * hash: what every engine's append inserts. Pure.
 */
export function chainedRow(e: CheckedAuditEvent, at: Date, head: { id: number; hash: string } | undefined): AuditRow {
  const row = {
    id: (head?.id ?? 0) + 1,
    at,
    event: e.event,
    outcome: e.outcome,
    requestId: e.requestId ?? null,
    clientId: e.clientId ?? null,
    subject: e.subject ?? null,
    audience: e.audience?.join(' ') ?? null,
    scope: e.scope?.join(' ') ?? null,
    jti: e.jti ?? null,
    reason: e.reason ?? null,
    data: JSON.stringify(e.data),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  return { ...row, hash: hashRow(row) };
}

const COLUMNS = ['id', 'at', 'event', 'outcome', 'requestId', 'clientId', 'subject', 'audience', 'scope', 'jti', 'reason', 'data', 'prevHash', 'hash'] as const;
type Column = (typeof COLUMNS)[number];

/**
 * The audit insert built once by drizzle (`build` gives it a placeholder per column: the engine's own table and
 * dialect) and run by the driver directly: one row per token and per refusal, where drizzle's per-call statement
 * building and parameter mapping would cost more than the database's own work. `values` maps a row through each
 * column's own driver mapping (`at`: Date → epoch ms on SQLite, an ISO string on PostgreSQL), resolved once.
 */
export function auditInsert(build: (values: Record<Column, Placeholder<Column>>) => { sql: string; params: unknown[] }): { text: string; values(row: AuditRow): unknown[] } {
  const query = build(Object.fromEntries(COLUMNS.map((k) => [k, sql.placeholder(k)])) as Record<Column, Placeholder<Column>>);
  const bindings = query.params.map((p) => {
    const { value, encoder } = p as Param<unknown, unknown> & { encoder: { mapToDriverValue(v: unknown): unknown } };
    const column = (value as Placeholder<Column>).name;
    return (row: AuditRow) => encoder.mapToDriverValue(row[column]);
  });
  return { text: query.sql, values: (row) => bindings.map((bind) => bind(row)) };
}
