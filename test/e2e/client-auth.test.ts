import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientKey, basic, ISSUER, SECRETS, startTestService, type TestService } from '../helpers/service.js';

let s: TestService;
beforeEach(async () => {
  s = await startTestService();
});
afterEach(() => s.stop());

const cc = { grant_type: 'client_credentials' };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

function assertion(claims: Record<string, unknown> = {}, key = s.gammaKey, alg = 'ES256') {
  const now = Math.floor(s.clock.now().getTime() / 1000);
  const payload = { iss: 'gamma', sub: 'gamma', aud: `${ISSUER}/token`, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg, kid: 'gamma-1' }).sign(key);
}
const jwtAuth = (a: string) => ({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

describe('client authentication (RFC 6749 §2.3, RFC 7523)', () => {
  it('client_secret_basic with a form-urlencoded, non-ASCII secret', async () => {
    const res = await s.post('/token', { ...cc, audience: 'beta' }, ['alpha', SECRETS.alpha]);
    expect(res.status).toBe(200);
  });

  it('client_secret_post', async () => {
    const res = await s.post('/token', { ...cc, client_id: 'beta', client_secret: SECRETS.beta });
    expect(res.status).toBe(200);
    expect(decodeJwt(((await res.json()) as { access_token: string }).access_token)).toMatchObject({ sub: 'beta', client_id: 'beta' });
  });

  it('private_key_jwt, whose jti is single-use', async () => {
    const a = await assertion();
    const first = await s.post('/token', { ...cc, audience: 'urn:example:other', ...jwtAuth(a) });
    expect(first.status).toBe(200);
    const again = await s.post('/token', { ...cc, audience: 'urn:example:other', ...jwtAuth(a) });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual(INVALID_CLIENT);
    expect(s.lastAudit()).toMatchObject({ outcome: 'refused', clientId: 'gamma', reason: 'client assertion jti already used' });
  });

  const refusals: [string, () => Promise<[Record<string, string>, [string, string]?]>, string, string | null][] = [
    ['a wrong secret', async () => [cc, ['alpha', 'wrong']], 'wrong client secret', 'alpha'],
    ['an unknown client', async () => [cc, ['nobody', 'x']], 'unknown client', 'nobody'],
    ['no authentication', async () => [cc], 'no client authentication', null],
    ['the secret posted by a Basic client', async () => [{ ...cc, client_id: 'alpha', client_secret: SECRETS.alpha }], 'client uses client_secret_basic, not client_secret_post', 'alpha'],
    ['Basic used by a post client', async () => [cc, ['beta', SECRETS.beta]], 'client uses client_secret_post, not client_secret_basic', 'beta'],
    ['a secret from a private_key_jwt client', async () => [{ ...cc, client_id: 'gamma', client_secret: 'x' }], 'client uses private_key_jwt, not client_secret_post', 'gamma'],
    ['an assertion signed by another key', async () => [jwtAuth(await assertion({}, (await newClientKey()).key))], 'client assertion rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'gamma'],
    ['an assertion for another audience', async () => [jwtAuth(await assertion({ aud: 'https://elsewhere.example' }))], 'client assertion rejected: ERR_JWT_CLAIM_VALIDATION_FAILED', 'gamma'],
    ['an assertion without jti', async () => [jwtAuth(await assertion({ jti: undefined }))], 'client assertion rejected: ERR_JWT_CLAIM_VALIDATION_FAILED', 'gamma'],
    ['an assertion living too long', async () => [jwtAuth(await assertion({ exp: Math.floor(s.clock.now().getTime() / 1000) + 3600 }))], 'client assertion lives too long', 'gamma'],
    ['an HMAC assertion', async () => [jwtAuth(await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('gamma').setSubject('gamma').setAudience(`${ISSUER}/token`).setExpirationTime('1m').sign(new Uint8Array(32)))], 'client assertion rejected: ERR_JOSE_ALG_NOT_ALLOWED', 'gamma'],
    ['a wrong assertion type', async () => [{ client_assertion_type: 'urn:x', client_assertion: await assertion() }], 'client_assertion_type must be jwt-bearer with a client_assertion', 'gamma'],
    ['a malformed Authorization header', async () => [cc, ['', '']], 'malformed Basic credentials', null],
  ];
  for (const [name, build, reason, clientId] of refusals) {
    it(`refuses ${name} with 401 invalid_client and a Basic challenge`, async () => {
      const [form, auth] = await build();
      const res = await s.post('/token', { ...cc, ...form }, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="campus-sts", charset="UTF-8"');
      expect(await res.json()).toEqual(INVALID_CLIENT);
      expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason, clientId });
    });
  }

  it('refuses two methods at once with invalid_request (RFC 6749 §2.3)', async () => {
    const res = await s.app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('alpha', SECRETS.alpha) },
      body: new URLSearchParams({ ...cc, client_secret: SECRETS.alpha }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'more than one client authentication method' });
  });

  it('never writes a secret or a token to the logs or the audit log', async () => {
    const ok = await s.post('/token', cc, ['beta', 'x']);
    expect(ok.status).toBe(401);
    const res = await s.post('/token', { ...cc, audience: 'beta' }, ['alpha', SECRETS.alpha]);
    const token = ((await res.json()) as { access_token: string }).access_token;
    await s.post('/introspect', { token }, ['alpha', SECRETS.alpha]);
    const everything = s.logs.join('\n') + JSON.stringify(s.auditRows());
    for (const secret of [SECRETS.alpha, SECRETS.beta, token, token.split('.')[2]!, s.env.TEST_MASTER_KEY!]) {
      expect(everything).not.toContain(secret);
    }
  });
});
