import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alphaToken, AT_TYPE, AUD, EXCHANGE, ISSUER, SECRETS, type TestService } from '../helpers/service.js';
import { startQualtricsFake, type QualtricsFake } from '../support/oauth/vendors.js';
import { QUALTRICS } from '../upstream/vendor-world.js';
import { auditRowsOf, qualtricsWhoami, startInstances, withQualtricsEnv, type Instances } from './pg-instances.js';

/**
 * A token revoked through one instance is refused by another on its very next request: introspection, token
 * exchange, and the upstream proxy, whose verified-bearer cache (tokens/verify-cached.ts) already holds it.
 */

const alpha: [string, string] = ['alpha', SECRETS.alpha];
let q: QualtricsFake;
let cluster: Instances;
let a: TestService;
let b: TestService;

beforeAll(async () => {
  q = await startQualtricsFake(QUALTRICS);
});
afterAll(() => q.stop());
beforeEach(async () => {
  cluster = await startInstances(2, {
    env: withQualtricsEnv(),
    overrides: {
      upstreams: [qualtricsWhoami(q.origin)],
    },
  });
  [a, b] = cluster.all as [TestService, TestService];
});
afterEach(() => cluster.stop());

const introspect = async (s: TestService, token: string) => (await s.post('/introspect', { token }, alpha)).json();
const exchange = (s: TestService, token: string) => s.post('/token', { grant_type: EXCHANGE, subject_token: token, subject_token_type: AT_TYPE, audience: AUD.reports, scope: 'student.read' }, alpha);
const viaProxy = (s: TestService, token: string) => Promise.resolve(s.app.request(`${ISSUER}/upstreams/qualtrics/whoami`, { headers: { authorization: `Bearer ${token}` } }));

describe('revocation across instances', () => {
  it('revoked on A: B answers inactive, refuses the exchange and the proxied call (its bearer cache held the token)', async () => {
    const token = await alphaToken(a);
    const { jti } = decodeJwt(token);
    // Before: B accepts it everywhere, and its proxy has verified and cached it.
    expect(await introspect(b, token)).toMatchObject({ active: true, jti });
    expect((await exchange(b, token)).status).toBe(200);
    const warm = await viaProxy(b, token);
    expect(warm.status).toBe(200);
    expect(await warm.json()).toMatchObject({ result: { userId: 'UR_123' } });
    const vendorCalls = q.requests.length;

    const revoked = await a.post('/revoke', { token }, alpha);
    expect(revoked.status).toBe(200);
    expect((await auditRowsOf(a, 'token.revoke')).map((r) => [r.outcome, r.jti, r.data])).toEqual([['success', jti, '{"revoked":true}']]);

    expect(await introspect(b, token)).toEqual({ active: false });
    expect((await auditRowsOf(b, 'token.introspect')).at(-1)).toMatchObject({ outcome: 'success', reason: 'token revoked' });

    const refusedExchange = await exchange(b, token);
    expect({ status: refusedExchange.status, body: await refusedExchange.json() }).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    expect((await auditRowsOf(b, 'token.issue')).at(-1)).toMatchObject({ outcome: 'refused', reason: 'token revoked' });

    const refusedCall = await viaProxy(b, token);
    expect({ status: refusedCall.status, body: await refusedCall.json() }).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'the token is invalid, expired or revoked' } });
    expect(refusedCall.headers.get('www-authenticate')).toBe('Bearer realm="campus-sts", error="invalid_token", error_description="the token is invalid, expired or revoked"');
    expect((await auditRowsOf(b, 'upstream.call')).at(-1)).toMatchObject({ outcome: 'refused', reason: 'token revoked' });
    expect(q.requests.length).toBe(vendorCalls);
  });
});
