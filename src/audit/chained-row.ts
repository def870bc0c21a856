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
