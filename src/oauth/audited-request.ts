import type { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/events.js';
import type { ClientAuthenticator } from '../clients/authenticate.js';
import { OAuthError } from '../core/oauth-errors.js';
import type { Db } from '../db/client.js';
import type { FormParams } from '../http/form-params.js';
import { commitAudited } from './commit.js';

/** A client-authenticated OAuth request as the endpoint services see it (HTTP details stay in http/). */
export interface OAuthRequest {
  authorization: string | undefined;
  requestId: string;
  readForm(): Promise<FormParams>;
}

/** What is known about a request so far, for the audit row if it is refused. */
export interface RequestProgress {
  form?: FormParams;
  clientId?: string;
}

/**
 * Runs an endpoint's work; an OAuthError it throws is recorded as a `refused` row (with the precise private
 * reason) in its own transaction, then rethrown for the HTTP layer to answer. The client id on a refused row
 * is the authenticated one, or else the one the request claimed.
 */
export async function withRefusalAudit<T>(
  deps: { db: Db; audit: AuditLog; clientAuth: ClientAuthenticator },
  req: OAuthRequest,
  refused: (err: OAuthError, common: { requestId: string; clientId?: string; reason: string }) => AuditEvent,
  work: (progress: RequestProgress) => Promise<T>,
): Promise<T> {
  const progress: RequestProgress = {};
  try {
    return await work(progress);
  } catch (err) {
    if (err instanceof OAuthError) {
      const clientId = progress.clientId ?? (progress.form && deps.clientAuth.claimedClientId(req.authorization, progress.form));
      const event = refused(err, { requestId: req.requestId, ...(clientId ? { clientId } : {}), reason: err.detail });
      commitAudited(deps, (tx) => deps.audit.append(tx, event));
    }
    throw err;
  }
}
