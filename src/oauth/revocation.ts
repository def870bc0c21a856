import type { AuditLog } from '../audit/audit-log.js';
import type { ClientAuthenticator } from '../clients/authenticate.js';
import { InvalidGrant, InvalidRequest } from '../core/oauth-errors.js';
import type { RevocationStore } from '../tokens/revocations.js';
import { verifyOwnToken, type VerifiedToken, type VerifyDeps } from '../tokens/verify.js';
import { oauthRefusal, withRefusalAudit } from '../audit/refusal.js';
import { refusalCommon, type OAuthRequest, type RequestProgress } from './audited-request.js';
import { commitAudited } from '../audit/commit.js';

/**
 * RFC 7009 revocation. The caller must be the client the token was issued to or one of its audiences
 * (§2.1: otherwise the request is refused; here invalid_grant, "issued to another client", RFC 6749 §5.2).
 * A token that does not verify (unknown, expired, already revoked) is answered 200 (§2.2): nothing to revoke.
 * Revoking a token revokes every token exchanged from it (they carry its `jti` in their `lineage`).
 */
export function createRevocation(deps: { audit: AuditLog; clientAuth: ClientAuthenticator; verify: VerifyDeps; revocations: RevocationStore }) {
  return function revoke(req: OAuthRequest): Promise<void> {
    let target: VerifiedToken | undefined;
    const progress: RequestProgress = {};
    return withRefusalAudit(
      deps,
      oauthRefusal((err) => ({
        event: 'token.revoke',
        outcome: 'refused',
        ...refusalCommon(deps.clientAuth, req, progress, err),
        ...(target ? { subject: target.sub, jti: target.jti } : {}),
        data: { revoked: false, error: err.code },
      })),
      async () => {
        const form = (progress.form = await req.readForm());
        const clientId = (progress.clientId = (await deps.clientAuth.authenticate(req, form)).client.id);
        const token = form.single('token');
        if (token === undefined) throw new InvalidRequest('token is required');
        let reason: string | undefined;
        try {
          target = await verifyOwnToken(token, deps.verify);
        } catch (err) {
          if (!(err instanceof InvalidGrant)) throw err;
          reason = err.detail;
        }
        const t = target;
        if (t && t.clientId !== clientId && !t.aud.includes(clientId)) {
          throw new InvalidGrant('the token was issued to another client', `token ${t.jti} was issued to client ${t.clientId}, not to or for ${clientId}`);
        }
        await commitAudited(deps, async (tx) => {
          // Kept while the token, or one exchanged from it (never longer-lived), could be accepted: exp plus the skew.
          const expiresAt = t && new Date(t.expiresAt.getTime() + deps.verify.clockSkewSeconds * 1000);
          const revoked = t && expiresAt ? await deps.revocations.revoke(tx, { jti: t.jti, clientId, revokedAt: deps.verify.clock.now(), expiresAt }) : false;
          await deps.audit.append(tx, {
            event: 'token.revoke',
            outcome: 'success',
            requestId: req.requestId,
            clientId,
            ...(t ? { subject: t.sub, jti: t.jti } : {}),
            ...(reason ? { reason } : {}),
            data: { revoked },
          });
        });
      },
    );
  };
}
