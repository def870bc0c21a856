// RFC 7009 revocation as a service: the token's client (or an audience) revokes it; an unknown token is a 200.
import { describe, expect, it } from 'vitest';
import { InvalidGrant } from '../core/oauth-errors.js';
import { mintAccessToken } from '../tokens/mint.js';
import { verifyOwnToken } from '../tokens/verify.js';
import { SIS } from '../../test/support/grant-fixtures.js';
import { authenticator, basic, oauthRequest, oauthWorld } from '../../test/support/oauth-world.js';
import { T0 } from '../../test/support/token-path.js';
import { createRevocation } from './revocation.js';

const w = oauthWorld();

const revoke = (authorization: string, params: Record<string, string>) =>
  createRevocation({ audit: w.p.audit, clientAuth: authenticator(w.p, w.clients), verify: w.p.verify, revocations: w.p.revocations })(oauthRequest(authorization, params));
const token = () => mintAccessToken({ sub: 'alice', aud: [SIS, 'beta'], clientId: 'alpha', scope: ['r'], expiresAt: new Date(Date.parse(T0) + 300_000) }, w.p.minting);
const row = (clientId: string, extra: Record<string, unknown>, revoked: boolean) => ({ event: 'token.revoke', outcome: 'success', requestId: 'req-1', clientId, ...extra, data: { revoked } });

describe('revocation (RFC 7009)', () => {
  it('revokes a token for its client: verification refuses it from then on', async () => {
    const minted = await token();
    await expect(revoke(basic('alpha'), { token: minted.token, token_type_hint: 'access_token' })).resolves.toBeUndefined();
    await expect(verifyOwnToken(minted.token, w.p.verify)).rejects.toMatchObject({ detail: 'token revoked' });
    expect(w.p.auditRows()).toEqual([row('alpha', { subject: 'alice', jti: minted.jti }, true)]);
  });

  it('lets an audience of the token revoke it', async () => {
    const minted = await token();
    await revoke(basic('beta'), { token: minted.token });
    expect(await w.p.revocations.revocationOf({ jti: minted.jti, lineage: [], sub: 'alice', issuedAt: minted.issuedAt })).toEqual({ by: 'itself' });
  });

  it('answers 200 for an unknown, malformed or already revoked token (§2.2), revoking nothing', async () => {
    const minted = await token();
    await revoke(basic('alpha'), { token: minted.token });
    await expect(revoke(basic('alpha'), { token: minted.token })).resolves.toBeUndefined();
    await expect(revoke(basic('alpha'), { token: 'unknown' })).resolves.toBeUndefined();
    expect(w.p.auditRows()).toEqual([
      row('alpha', { subject: 'alice', jti: minted.jti }, true),
      row('alpha', { reason: 'token revoked' }, false),
      row('alpha', { reason: 'token is not a compact JWS' }, false),
    ]);
  });

  it("refuses another client's token (§2.1) and leaves it valid", async () => {
    const minted = await token();
    const err = await revoke(basic('delta'), { token: minted.token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidGrant);
    expect(err).toMatchObject({ description: 'the token was issued to another client', detail: `token ${minted.jti} was issued to client alpha, not to or for delta` });
    expect(await w.p.revocations.revocationOf({ jti: minted.jti, lineage: [], sub: 'alice', issuedAt: minted.issuedAt })).toBeUndefined();
    expect(w.p.auditRows()).toEqual([
      { event: 'token.revoke', outcome: 'refused', requestId: 'req-1', clientId: 'delta', subject: 'alice', jti: minted.jti, reason: `token ${minted.jti} was issued to client alpha, not to or for delta`, data: { revoked: false, error: 'invalid_grant' } },
    ]);
  });

  it('refuses a request without token', async () => {
    await expect(revoke(basic('alpha'), {})).rejects.toMatchObject({ code: 'invalid_request', detail: 'token is required' });
    expect(w.p.auditRows()).toEqual([{ event: 'token.revoke', outcome: 'refused', requestId: 'req-1', clientId: 'alpha', reason: 'token is required', data: { revoked: false, error: 'invalid_request' } }]);
  });
});
