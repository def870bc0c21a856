import type { AuditLog } from '../audit/audit-log.js';
import type { ClientAuthenticator } from '../clients/authenticate.js';
import { epochSeconds } from '../core/clock.js';
import { InvalidGrant, InvalidRequest } from '../core/oauth-errors.js';
import { verifyOwnToken, type VerifiedToken, type VerifyDeps } from '../tokens/verify.js';
import { oauthRefusal, withRefusalAudit } from '../audit/refusal.js';
import { refusalCommon, type OAuthRequest, type RequestProgress } from './audited-request.js';
import { commitAudited } from '../audit/commit.js';

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * RFC 7662 introspection for client-authenticated callers. A token is active only if it verifies, is not
 * expired or revoked, and the caller is the client it was issued to or one of its audiences (§4: the server
 * decides who may learn about a token). Anything else is `{"active": false}`, the reason only in the audit.
 */
export function createIntrospection(deps: { audit: AuditLog; clientAuth: ClientAuthenticator; verify: VerifyDeps }) {
  return function introspect(req: OAuthRequest): Promise<IntrospectionResponse> {
    const progress: RequestProgress = {};
    return withRefusalAudit(
      deps,
      oauthRefusal((err) => ({ event: 'token.introspect', outcome: 'refused', ...refusalCommon(deps.clientAuth, req, progress, err), data: { active: false, error: err.code } })),
      async () => {
        const form = (progress.form = await req.readForm());
        const clientId = (progress.clientId = (await deps.clientAuth.authenticate(req, form)).client.id);
        const token = form.single('token');
        if (token === undefined) throw new InvalidRequest('token is required');
        const { verified, reason } = await verifyFor(token, clientId, deps.verify);
        await commitAudited(deps, async (tx) =>
          await deps.audit.append(tx, {
            event: 'token.introspect',
            outcome: 'success',
            requestId: req.requestId,
            clientId,
            ...(verified ? { subject: verified.sub, jti: verified.jti, audience: verified.aud, scope: verified.scope } : {}),
            ...(reason ? { reason } : {}),
            data: { active: verified !== undefined },
          }),
        );
        return verified ? describe(verified, deps.verify.issuer) : { active: false };
      },
    );
  };
}

async function verifyFor(token: string, clientId: string, deps: VerifyDeps): Promise<{ verified?: VerifiedToken; reason?: string }> {
  try {
    const verified = await verifyOwnToken(token, deps);
    if (verified.clientId === clientId || verified.aud.includes(clientId)) return { verified };
    return { reason: `caller ${clientId} is neither the client nor an audience of token ${verified.jti}` };
  } catch (err) {
    if (err instanceof InvalidGrant) return { reason: err.detail };
    throw err;
  }
}

/** RFC 7662 §2.2 members, plus `act` and released claims (the caller could read them from the JWT itself). */
function describe(t: VerifiedToken, issuer: string): IntrospectionResponse {
  return {
    ...t.extra,
    active: true,
    iss: issuer,
    sub: t.sub,
    aud: t.aud.length === 1 ? t.aud[0] : t.aud,
    client_id: t.clientId,
    scope: t.scope.join(' '),
    token_type: 'Bearer',
    exp: epochSeconds(t.expiresAt),
    iat: epochSeconds(t.issuedAt),
    jti: t.jti,
    ...(t.act ? { act: t.act } : {}),
  };
}
