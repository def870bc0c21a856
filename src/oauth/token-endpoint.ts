import type { AuditLog } from '../audit/audit-log.js';
import type { ClientAssertionStore } from '../clients/assertion-replay.js';
import type { AuthenticatedClient, ClientAuthenticator } from '../clients/authenticate.js';
import { bounded, quote } from '../core/bounded.js';
import { CLIENT_AUTHENTICATION_FAILED, InvalidClient, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../core/oauth-errors.js';
import type { GrantRegistry, GrantResult } from './grant-port.js';
import { oauthRefusal, withRefusalAudit } from '../audit/refusal.js';
import { refusalCommon, type OAuthRequest, type RequestProgress } from './audited-request.js';
import { commitAudited } from '../audit/commit.js';

/** RFC 6749 §5.1 / RFC 8693 §2.2.1 success body. */
export interface TokenResponse {
  access_token: string;
  issued_token_type?: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

export interface TokenEndpointDeps {
  audit: AuditLog;
  clientAuth: ClientAuthenticator;
  grants: GrantRegistry;
  clientAssertions: ClientAssertionStore;
}

/**
 * The token endpoint as a service: authenticate the client, dispatch on grant_type, record the decision.
 * A granted token is returned only after its audit row (and the client assertion's one-time `jti`) is
 * committed in one transaction; every refusal is audited with its precise reason.
 */
export function createTokenEndpoint(deps: TokenEndpointDeps) {
  return function handleTokenRequest(req: OAuthRequest): Promise<TokenResponse> {
    let grantType: string | undefined;
    const progress: RequestProgress = {};
    return withRefusalAudit(
      deps,
      oauthRefusal((err) => ({ event: 'token.issue', outcome: 'refused', ...refusalCommon(deps.clientAuth, req, progress, err), data: { grant_type: grantType === undefined ? '(none)' : bounded(grantType), error: err.code } })),
      async () => {
        const form = (progress.form = await req.readForm());
        grantType = form.single('grant_type');
        const auth = await deps.clientAuth.authenticate(req, form);
        progress.clientId = auth.client.id;
        if (grantType === undefined) throw new InvalidRequest('grant_type is required');
        const grant = deps.grants.get(grantType);
        if (!grant) throw new UnsupportedGrantType('the grant type is not supported', `grant_type ${quote(grantType)}`);
        if (!auth.client.grantTypes.has(grantType)) {
          throw new UnauthorizedClient('the client may not use this grant type', `client ${auth.client.id} may not use ${grantType}`);
        }
        const result = await grant.handle(form, auth.client);
        const assertion = auth.assertion;
        await commitAudited(deps, async (tx) => {
          if (assertion && !(await deps.clientAssertions.consume(tx, assertion))) throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED, 'client assertion jti already used');
          await deps.audit.append(tx, issued(result, grant.grantType, auth, req.requestId));
        });
        return toResponse(result);
      },
    );
  };
}

function issued(result: GrantResult, grantType: string, auth: AuthenticatedClient, requestId: string) {
  return {
    event: 'token.issue' as const,
    outcome: 'success' as const,
    requestId,
    clientId: auth.client.id,
    subject: result.sub,
    audience: result.aud,
    scope: result.scope,
    jti: result.minted.jti,
    data: {
      grant_type: grantType,
      expires_in: result.minted.expiresIn,
      ...(result.audit.subjectTokenType ? { subject_token_type: result.audit.subjectTokenType } : {}),
      ...(result.audit.subjectToken ? { subject_token: result.audit.subjectToken } : {}),
      ...(result.audit.actor ? { actor: result.audit.actor } : {}),
      ...(result.audit.upstream ? { upstream: result.audit.upstream } : {}),
    },
  };
}

function toResponse(result: GrantResult): TokenResponse {
  return {
    access_token: result.minted.token,
    ...(result.issuedTokenType ? { issued_token_type: result.issuedTokenType } : {}),
    token_type: 'Bearer',
    expires_in: result.minted.expiresIn,
    ...(result.scopeDiffers ? { scope: result.scope.join(' ') } : {}),
  };
}
