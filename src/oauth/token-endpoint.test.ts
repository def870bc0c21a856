// The token endpoint service: client authentication, grant dispatch, and the audit row of every decision.
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { GRANT_TYPES } from '../core/constants.js';
import { OAuthError } from '../core/oauth-errors.js';
import { createClientAssertionStore } from '../clients/assertion-replay.js';
import { createClientCredentialsGrant } from '../grants/client-credentials.js';
import { createSubjectTokenRegistry } from '../grants/subject-tokens.js';
import { createTokenExchangeGrant } from '../grants/token-exchange.js';
import { policy, SIS } from '../../test/support/grant-fixtures.js';
import { authenticator, basic, gammaAssertion, oauthRequest, oauthWorld } from '../../test/support/oauth-world.js';
import { createGrantRegistry } from './grant-port.js';
import { createTokenEndpoint } from './token-endpoint.js';

const w = oauthWorld();

function endpoint() {
  const minting = { ...w.p.minting, policy };
  const grants = createGrantRegistry([createClientCredentialsGrant(minting), createTokenExchangeGrant({ ...minting, subjectTokens: createSubjectTokenRegistry([]) })]);
  return createTokenEndpoint({ audit: w.p.audit, clientAuth: authenticator(w.p, w.clients), grants, clientAssertions: createClientAssertionStore(w.p.database.db) });
}

async function refusal(run: Promise<unknown>) {
  const err = await run.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof OAuthError)) throw new Error(`not an OAuthError: ${String(err)}`);
  return { error: err.code, status: err.status, description: err.description, detail: err.detail };
}
const refusedRow = (reason: string, grantType: string, error: string, clientId = 'alpha') => ({
  event: 'token.issue', outcome: 'refused', requestId: 'req-1', clientId, reason, data: { grant_type: grantType, error },
});

describe('grant registry', () => {
  it('refuses two handlers for one grant_type at start', () => {
    const cc = createClientCredentialsGrant({ ...w.p.minting, policy });
    expect(() => createGrantRegistry([cc, cc])).toThrow(new Error('two handlers for grant_type client_credentials'));
  });
});

describe('token endpoint service', () => {
  it('answers RFC 6749 §5.1 and records the issuance in the same commit', async () => {
    const res = await endpoint()(oauthRequest(basic('alpha'), { grant_type: 'client_credentials', scope: 'r' }));
    expect(res).toEqual({ access_token: res.access_token, token_type: 'Bearer', expires_in: 300 });
    const { jti } = decodeJwt(res.access_token);
    expect(w.p.auditRows()).toEqual([
      { event: 'token.issue', outcome: 'success', requestId: 'req-1', clientId: 'alpha', subject: 'alpha', audience: SIS, scope: 'r', jti, data: { grant_type: 'client_credentials', expires_in: 300 } },
    ]);
  });

  it('refuses an unsupported grant type', async () => {
    expect(await refusal(endpoint()(oauthRequest(basic('alpha'), { grant_type: 'password' })))).toEqual({
      error: 'unsupported_grant_type', status: 400, description: 'the grant type is not supported', detail: 'grant_type "password"',
    });
    expect(w.p.auditRows()).toEqual([refusedRow('grant_type "password"', 'password', 'unsupported_grant_type')]);
  });

  it('refuses a grant type the client is not allowed (unauthorized_client)', async () => {
    expect(await refusal(endpoint()(oauthRequest(basic('delta'), { grant_type: GRANT_TYPES.tokenExchange })))).toEqual({
      error: 'unauthorized_client', status: 400, description: 'the client may not use this grant type', detail: `client delta may not use ${GRANT_TYPES.tokenExchange}`,
    });
    expect(w.p.auditRows()).toEqual([refusedRow(`client delta may not use ${GRANT_TYPES.tokenExchange}`, GRANT_TYPES.tokenExchange, 'unauthorized_client', 'delta')]);
  });

  it('refuses a duplicated parameter (RFC 6749 §3.2) before anything else, auditing the claimed client', async () => {
    expect(await refusal(endpoint()(oauthRequest(basic('alpha'), { grant_type: ['client_credentials', 'password'] })))).toEqual({
      error: 'invalid_request', status: 400, description: 'parameter grant_type is included more than once', detail: 'parameter grant_type is included more than once',
    });
    expect(w.p.auditRows()).toEqual([refusedRow('parameter grant_type is included more than once', '(none)', 'invalid_request')]);
  });

  it('refuses a missing grant_type after authenticating the client', async () => {
    expect(await refusal(endpoint()(oauthRequest(basic('alpha'), {})))).toMatchObject({ error: 'invalid_request', detail: 'grant_type is required' });
    expect(w.p.auditRows()).toEqual([refusedRow('grant_type is required', '(none)', 'invalid_request')]);
  });

  it('refuses a failed client authentication with 401, its reason only in the audit row', async () => {
    expect(await refusal(endpoint()(oauthRequest(basic('alpha', 'wrong'), { grant_type: 'client_credentials' })))).toEqual({
      error: 'invalid_client', status: 401, description: 'client authentication failed', detail: 'wrong client secret',
    });
    expect(w.p.auditRows()).toEqual([refusedRow('wrong client secret', 'client_credentials', 'invalid_client')]);
  });

  it('consumes a client assertion jti with the issuance: the second use is refused and nothing is issued', async () => {
    const assertion = await gammaAssertion(w.p, w.clients, 'once');
    const req = () => oauthRequest(undefined, { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    await endpoint()(req());
    expect(await refusal(endpoint()(req()))).toMatchObject({ error: 'invalid_client', detail: 'client assertion jti already used' });
    expect(w.p.auditRows().map((r) => [r.event, r.outcome, r.reason])).toEqual([['token.issue', 'success', undefined], ['token.issue', 'refused', 'client assertion jti already used']]);
  });
});
