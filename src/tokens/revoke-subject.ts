import type { AuditLog } from '../audit/audit-log.js';
import { commitAudited } from '../audit/commit.js';
import type { Clock } from '../core/clock.js';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { RevocationStore } from './revocations.js';

export interface SubjectRevocationDeps {
  revocations: RevocationStore;
  audit: AuditLog;
  clock: Clock;
  /** The other `sub` values the same person has in tokens: their pairwise subjects, one per pairwise audience. */
  aliases(subject: string): string[];
  /** How long after its `iat` any token can still be accepted (the longest lifetime plus the allowed skew). */
  acceptedForSeconds: number;
}

export interface SubjectRevocation {
  subject: string;
  /** Tokens issued before this are revoked; default now. Never in the future (this reaches issued tokens, it bans no one). */
  before?: Date | undefined;
  /** Who asked, for the audit row: the console admin's subject, or `cli:<user>`. */
  actor: string;
  requestId?: string | undefined;
}

/** The subject as revoked (trimmed), the cutoff in force for it (a later one recorded before stands), and how many pairwise subjects it reached. */
export interface SubjectRevoked {
  subject: string;
  cutoff: Date;
  pairwiseSubjects: number;
}

const MAX_SUBJECT = 512;

/**
 * Revokes every token of `subject` issued before the cutoff, and every token of its pairwise subjects, in one
 * audited transaction: each is inactive on the next check on every instance (the check reads the shared table),
 * pending launch codes included (redemption checks the code's token). Kept until no such token can be accepted.
 */
export async function revokeSubject(deps: SubjectRevocationDeps, req: SubjectRevocation): Promise<SubjectRevoked> {
  const subject = req.subject.trim();
  if (subject === '' || subject.length > MAX_SUBJECT) throw new InvalidRequest(`subject: expected 1 to ${MAX_SUBJECT} characters`);
  const now = deps.clock.now();
  const cutoff = req.before ?? now;
  if (cutoff > now) throw new InvalidRequest('before: must not be in the future');
  const expiresAt = new Date(cutoff.getTime() + deps.acceptedForSeconds * 1000);
  const aliases = [...new Set(deps.aliases(subject))].filter((a) => a !== subject);
  return commitAudited(deps, async (tx) => {
    const inForce = await deps.revocations.cutOff(tx, { subject, cutoff, expiresAt });
    for (const alias of aliases) await deps.revocations.cutOff(tx, { subject: alias, cutoff, expiresAt });
    await deps.audit.append(tx, {
      event: 'subject.revoke',
      outcome: 'success',
      subject,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      data: { actor: req.actor, before: cutoff.toISOString(), pairwise_subjects: aliases.length },
    });
    return { subject, cutoff: inForce, pairwiseSubjects: aliases.length };
  });
}

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A cutoff as typed: an ISO 8601 time with its zone (`2026-12-01T09:00:00Z`, `…+01:00`). A time without one is
 * ambiguous, and an impossible date (Feb 30) a typo: both refused, never read as something else.
 */
export function parseCutoff(text: string): Date {
  const m = ISO_WITH_ZONE.exec(text.trim());
  const [y, mo, d, h, mi, sec = 0] = (m?.slice(1).filter((v) => v !== undefined) ?? []).map(Number);
  const real = m && mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= new Date(Date.UTC(y!, mo!, 0)).getUTCDate() && h! < 24 && mi! < 60 && sec < 60;
  if (!real) throw new InvalidRequest('before: expected an ISO 8601 time with its zone, e.g. 2026-12-01T09:00:00Z');
  return new Date(Date.parse(text.trim()));
}
