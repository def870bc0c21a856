import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/events.js';
import type { ClientAuthenticator } from '../clients/authenticate.js';
import { OAuthError } from '../core/oauth-errors.js';
import type { Db } from '../db/client.js';
import type { FormParams } from '../core/form-params.js';
import { commitAudited } from '../audit/commit.js';

/** A client-authenticated OAuth request as the endpoint services see it (HTTP details stay in http/). */
export interface OAuthRequest {
  authorization: string | undefined;
  requestId: string;
  readForm(): Promise<FormParams>;
}

/** What is known about a client-authenticated request so far, for the audit row if it is refused. */
export interface RequestProgress {
  form?: FormParams;
  clientId?: string;
}

/**
 * Runs an API endpoint's work; an OAuthError it throws is recorded as the `refused` row that `refused` builds
 * (with the precise private reason) in its own transaction, then rethrown for the HTTP layer to answer.
 */
export async function withRefusalAudit<T>(
  deps: { db: Db; audit: AuditLog },
  refused: (err: OAuthError) => AuditEvent,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof OAuthError) {
      const event = refused(err);
      await commitAudited(deps, (tx) => deps.audit.append(tx, event));
    }
    throw err;
  }
}

/**
 * The common fields of a refused client-authenticated request: the request id, the private reason, and the
 * client id — the authenticated one, or else the one the request claimed.
 */
export function refusalCommon(clientAuth: ClientAuthenticator, req: OAuthRequest, progress: RequestProgress, err: OAuthError) {
  const clientId = progress.clientId ?? (progress.form && clientAuth.claimedClientId(req.authorization, progress.form));
  return { requestId: req.requestId, ...(clientId ? { clientId } : {}), reason: err.detail };
}
