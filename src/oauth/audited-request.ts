import type { ClientAuthenticator, ClientCredentialsRequest } from '../clients/authenticate.js';
import type { OAuthError } from '../core/oauth-errors.js';
import type { FormParams } from '../core/form-params.js';

/** A client-authenticated OAuth request as the endpoint services see it (HTTP details stay in http/). */
export interface OAuthRequest extends ClientCredentialsRequest {
  readForm(): Promise<FormParams>;
}

/** What is known about a client-authenticated request so far, for the audit row if it is refused. */
export interface RequestProgress {
  form?: FormParams;
  clientId?: string;
}

/**
 * The common fields of a refused client-authenticated request: the request id, the private reason, and the
 * client id — the authenticated one, or else the one the request claimed.
 */
export function refusalCommon(clientAuth: ClientAuthenticator, req: OAuthRequest, progress: RequestProgress, err: OAuthError) {
  const clientId = progress.clientId ?? (progress.form && clientAuth.claimedClientId(req.authorization, progress.form));
  return { requestId: req.requestId, ...(clientId ? { clientId } : {}), reason: err.detail };
}
