import { isLoadRefusal, OAuthError } from '../core/oauth-errors.js';
import type { AuditLog } from './audit-log.js';
import { commitAudited } from './commit.js';
import type { AuditEvent } from './events.js';

/** The audit row that records a refusal `work` threw; undefined when it is no refusal, or its row is already written. */
export type RefusalRow = (err: unknown) => AuditEvent | undefined;

/**
 * The one refusal-audit wrapper, for API endpoints and browser flows alike: runs `work`; a refusal it throws is
 * recorded as the row `rowFor` names, in its own transaction (the work's own transaction rolled back), then
 * rethrown for the HTTP layer to answer.
 */
export async function withRefusalAudit<T>(deps: { audit: AuditLog }, rowFor: RefusalRow, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const event = rowFor(err);
    if (event) await commitAudited(deps, (tx) => deps.audit.append(tx, event));
    throw err;
  }
}

/**
 * API endpoints: every OAuthError is a refusal, recorded as the row `build` makes (with the precise private
 * reason). A request turned away for load gets no row of its own (an attacker would fill the log at full
 * speed): the block that causes it has its row (`client.throttle`), and each one is counted in the metrics.
 */
export function oauthRefusal(build: (err: OAuthError) => AuditEvent): RefusalRow {
  return (err) => (err instanceof OAuthError && !isLoadRefusal(err) ? build(err) : undefined);
}
