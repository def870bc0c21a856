// RFC 7662 introspection as a service: the exact active and inactive shapes, and who may learn about a token.
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../core/oauth-errors.js';
import { mintAccessToken } from '../tokens/mint.js';
import { SIS } from '../../test/support/grant-fixtures.js';
import { authenticator, basic, oauthRequest, oauthWorld } from '../../test/support/oauth-world.js';
import { ISSUER, T0 } from '../../test/support/token-path.js';
import { createIntrospection } from './introspection.js';

const w = oauthWorld();

const introspect = (authorization: string, params: Record<string, string>) =>
  createIntrospection({ audit: w.p.audit, clientAuth: authenticator(w.p, w.clients), verify: w.p.verify })(oauthRequest(authorization, params));
const iat = Date.parse(T0) / 1000;
const token = () =>
  mintAccessToken({ sub: 'alice', aud: [SIS, 'beta'], clientId: 'alpha', scope: ['r', 'w'], expiresAt: new Date(Date.parse(T0) + 300_000), act: { sub: 'svc' }, extra: { displayName: 'Alice' } }, w.p.minting);
const inactiveRow = (clientId: string, reason: string) => ({ event: 'token.introspect', outcome: 'success', requestId: 'req-1', clientId, reason, data: { active: false } });

describe('introspection (RFC 7662)', () => {
  it('describes an active token with the §2.2 members, act and released claims', async () => {
    const minted = await token();
    expect(await introspect(basic('alpha'), { token: minted.token })).toEqual({
      active: true, iss: ISSUER, sub: 'alice', aud: [SIS, 'beta'], client_id: 'alpha', scope: 'r w', token_type: 'Bearer',
      exp: iat + 300, iat, jti: minted.jti, act: { sub: 'svc' }, displayName: 'Alice',
    });
    expect(w.p.auditRows()).toEqual([
      { event: 'token.introspect', outcome: 'success', requestId: 'req-1', clientId: 'alpha', subject: 'alice', jti: minted.jti, audience: `${SIS} beta`, scope: 'r w', data: { active: true } },
    ]);
  });

  it('answers an audience of the token too (§4: the server decides who may learn about it)', async () => {
    const minted = await token();
    expect(await introspect(basic('beta'), { token: minted.token })).toMatchObject({ active: true, jti: minted.jti });
  });

  it('answers only {"active": false} to a client that is neither the token’s client nor an audience', async () => {
    const minted = await token();
    expect(await introspect(basic('delta'), { token: minted.token })).toEqual({ active: false });
    expect(w.p.auditRows()).toEqual([inactiveRow('delta', `caller delta is neither the client nor an audience of token ${minted.jti}`)]);
  });

  it('answers only {"active": false} for expired, revoked and unknown tokens, the reason in the audit row', async () => {
    const minted = await token();
    await w.p.committer.commit((tx) => w.p.revocations.revoke(tx, { jti: minted.jti, clientId: 'alpha', revokedAt: new Date(T0), expiresAt: minted.expiresAt }));
    expect(await introspect(basic('alpha'), { token: minted.token })).toEqual({ active: false });
    const later = await token();
    w.p.clock.advance(360_000);
    expect(await introspect(basic('alpha'), { token: later.token })).toEqual({ active: false });
    expect(await introspect(basic('alpha'), { token: 'not-a-token' })).toEqual({ active: false });
    expect(w.p.auditRows()).toEqual([
      inactiveRow('alpha', 'token revoked'),
      inactiveRow('alpha', 'token rejected: ERR_JWT_EXPIRED (exp)'),
      inactiveRow('alpha', 'token is not a compact JWS'),
    ]);
  });

  it('refuses a request without token, and an unauthenticated caller', async () => {
    await expect(introspect(basic('alpha'), {})).rejects.toMatchObject({ constructor: InvalidRequest, detail: 'token is required' });
    await expect(introspect(basic('alpha', 'wrong'), { token: 'x' })).rejects.toMatchObject({ code: 'invalid_client', detail: 'wrong client secret' });
    expect(w.p.auditRows()).toEqual([
      { event: 'token.introspect', outcome: 'refused', requestId: 'req-1', clientId: 'alpha', reason: 'token is required', data: { active: false, error: 'invalid_request' } },
      { event: 'token.introspect', outcome: 'refused', requestId: 'req-1', clientId: 'alpha', reason: 'wrong client secret', data: { active: false, error: 'invalid_client' } },
    ]);
  });
});
