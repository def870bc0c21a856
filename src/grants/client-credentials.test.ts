// RFC 6749 §4.4 client credentials through the policy core to a minted token (real keystore, fixed clock).
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GRANT_TYPES } from '../core/constants.js';
import { InvalidRequest, InvalidScope, InvalidTarget } from '../core/oauth-errors.js';
import { REPORTS, SIS, client, form, policy } from '../../test/support/grant-fixtures.js';
import { ISSUER, T0, openTokenPath, type TokenPath } from '../../test/support/token-path.js';
import { createClientCredentialsGrant } from './client-credentials.js';

let p: TokenPath;
beforeEach(async () => {
  p = await openTokenPath();
});
afterEach(() => p.close());
const grant = () => createClientCredentialsGrant({ ...p.minting, policy });
const iat = Date.parse(T0) / 1000;

describe('client_credentials grant', () => {
  it('registers under client_credentials', () => {
    expect(grant().grantType).toBe(GRANT_TYPES.clientCredentials);
  });

  it("mints a token about the client itself for the requested audience and scope; scope echoed only when it differs", async () => {
    const result = await grant().handle(form({ audience: SIS, scope: 'r' }), client('alpha'));
    expect(result).toEqual({ audit: {}, minted: result.minted, sub: 'alpha', aud: [SIS], scope: ['r'], scopeDiffers: false });
    expect(decodeJwt(result.minted.token)).toEqual({ iss: ISSUER, sub: 'alpha', aud: SIS, client_id: 'alpha', scope: 'r', iat, exp: iat + 300, jti: result.minted.jti });
    const all = await grant().handle(form({ audience: SIS }), client('alpha'));
    expect({ scope: all.scope, scopeDiffers: all.scopeDiffers }).toEqual({ scope: ['r', 'w'], scopeDiffers: true });
  });

  it("uses the client's default audience when none is requested (RFC 9068 §3), with that audience's ttl cap", async () => {
    const result = await grant().handle(form({}), client('alpha', { defaultAudience: REPORTS }));
    expect({ aud: result.aud, scope: result.scope, expiresIn: result.minted.expiresIn }).toEqual({ aud: [REPORTS], scope: ['r'], expiresIn: 120 });
  });

  it('refuses a request with no audience when the client has no default (RFC 8707 §2)', async () => {
    const err = await grant().handle(form({}), client('alpha')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTarget);
    expect(err).toMatchObject({ description: 'an audience or resource is required: this client has no default audience', detail: 'no audience or resource requested, none from the subject, and client alpha has no default_audience' });
  });

  it('accepts resource indicators as targets and refuses a relative one (RFC 8707 §2)', async () => {
    const result = await grant().handle(form({ resource: SIS, scope: 'w' }), client('alpha'));
    expect(result.aud).toEqual([SIS]);
    await expect(grant().handle(form({ resource: '/relative' }), client('alpha'))).rejects.toMatchObject({ constructor: InvalidTarget, detail: 'resource "/relative" is not an absolute URI' });
  });

  it('carries the client’s may_act into its token (RFC 8693 §4.4)', async () => {
    const result = await grant().handle(form({ audience: SIS }), client('alpha', { mayAct: { sub: 'gamma' } }));
    expect(decodeJwt(result.minted.token).may_act).toEqual({ sub: 'gamma' });
  });

  it('refuses a scope beyond the client, and a duplicated scope parameter', async () => {
    await expect(grant().handle(form({ audience: SIS, scope: 'w' }), client('alpha', { scopes: new Set(['r']) }))).rejects.toMatchObject({ constructor: InvalidScope, detail: 'scope "w" is not allowed by the client' });
    await expect(grant().handle(form({ audience: SIS, scope: ['r', 'w'] }), client('alpha'))).rejects.toMatchObject({ constructor: InvalidRequest, description: 'parameter scope is included more than once' });
  });
});
