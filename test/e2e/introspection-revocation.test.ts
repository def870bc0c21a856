import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alphaToken, AT_TYPE, AUD, EXCHANGE, ISSUER, SECRETS, startTestService, type TestService } from '../helpers/service.js';

let s: TestService;
beforeEach(async () => {
  s = await startTestService();
});
afterEach(() => s.stop());

const alpha: [string, string] = ['alpha', SECRETS.alpha];
const beta = { client_id: 'beta', client_secret: SECRETS.beta };

async function introspect(token: string, auth: [string, string] | undefined = alpha, extra: Record<string, string> = {}) {
  const res = await s.post('/introspect', { token, ...extra }, auth);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cache: res.headers.get('cache-control') };
}

describe('introspection (RFC 7662)', () => {
  it('describes an active token to the client it was issued to', async () => {
    const token = await alphaToken(s, { scope: 'student.read' });
    const r = await introspect(token);
    expect(r.status).toBe(200);
    expect(r.cache).toBe('no-store');
    expect(r.body).toEqual({
      active: true,
      iss: ISSUER,
      sub: 'alpha',
      aud: AUD.sis,
      client_id: 'alpha',
      scope: 'student.read',
      token_type: 'Bearer',
      iat: Date.parse('2026-11-23T10:00:00Z') / 1000,
      exp: Date.parse('2026-11-23T10:05:00Z') / 1000,
      jti: decodeJwt(token).jti,
    });
    expect(s.lastAudit()).toMatchObject({ event: 'token.introspect', outcome: 'success', clientId: 'alpha', subject: 'alpha', jti: decodeJwt(token).jti, reason: null });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ active: true });
  });

  it('describes a token to a client that is its audience', async () => {
    const token = await alphaToken(s, { audience: 'beta' });
    const res = await s.post('/introspect', { token, ...beta });
    expect(await res.json()).toMatchObject({ active: true, aud: 'beta', client_id: 'alpha' });
  });

  const inactive: [string, () => Promise<{ token: string; caller?: Record<string, string> }>, string][] = [
    ['expired', async () => {
      const token = await alphaToken(s);
      s.clock.advance(400_000);
      return { token };
    }, 'token rejected: ERR_JWT_EXPIRED (exp)'],
    ['revoked', async () => {
      const token = await alphaToken(s);
      await s.post('/revoke', { token }, alpha);
      return { token };
    }, 'token revoked'],
    ['unknown (garbage)', async () => ({ token: 'abc.def.ghi' }), 'token rejected: ERR_JWS_INVALID'],
    ['foreign (signed by someone else)', async () => {
      const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      const token = await new SignJWT({ client_id: 'alpha', scope: '' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'evil' })
        .setIssuer(ISSUER).setSubject('alpha').setAudience(AUD.sis).setIssuedAt().setExpirationTime('5m').setJti('x').sign(privateKey);
      return { token };
    }, 'token rejected: ERR_JWKS_NO_MATCHING_KEY'],
    ['asked about by a client that is neither its client nor its audience', async () => ({ token: await alphaToken(s), caller: beta }), ''],
  ];
  for (const [name, build, reason] of inactive) {
    it(`answers {"active": false} for a token that is ${name}`, async () => {
      const { token, caller } = await build();
      const res = caller ? await s.post('/introspect', { token, ...caller }) : await s.post('/introspect', { token }, alpha);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ active: false });
      const row = s.lastAudit();
      expect(row).toMatchObject({ event: 'token.introspect', outcome: 'success', subject: null });
      expect(row.reason).toBe(reason || `caller beta is neither the client nor an audience of token ${decodeJwt(token).jti}`);
      expect(JSON.parse(row.data!)).toEqual({ active: false });
    });
  }

  it('requires client authentication and a token', async () => {
    const unauth = await introspect(await alphaToken(s), ['alpha', 'nope']);
    expect(unauth).toMatchObject({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    expect(s.lastAudit()).toMatchObject({ event: 'token.introspect', outcome: 'refused', clientId: 'alpha', reason: 'wrong client secret' });
    const missing = await s.post('/introspect', {}, alpha);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'invalid_request', error_description: 'token is required' });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ active: false, error: 'invalid_request' });
  });
});

describe('revocation (RFC 7009)', () => {
  it('revokes a token for introspection and exchange, and audits it once', async () => {
    const token = await alphaToken(s);
    const jti = decodeJwt(token).jti;
    const res = await s.post('/revoke', { token, token_type_hint: 'access_token' }, alpha);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(s.lastAudit()).toMatchObject({ event: 'token.revoke', outcome: 'success', clientId: 'alpha', subject: 'alpha', jti });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ revoked: true });
    expect((await introspect(token)).body).toEqual({ active: false });
    const ex = await s.post('/token', { grant_type: EXCHANGE, subject_token: token, subject_token_type: AT_TYPE }, alpha);
    expect(await ex.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('answers 200 for a token it cannot revoke (RFC 7009 §2.2)', async () => {
    const res = await s.post('/revoke', { token: 'not-a-token' }, alpha);
    expect(res.status).toBe(200);
    expect(s.lastAudit()).toMatchObject({ event: 'token.revoke', outcome: 'success', reason: 'token is not a compact JWS', jti: null });
    expect(JSON.parse(s.lastAudit().data!)).toEqual({ revoked: false });
  });

  it("refuses to revoke another client's token", async () => {
    const token = await alphaToken(s, { audience: AUD.reports });
    const res = await s.post('/revoke', { token, ...beta });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'the token was issued to another client' });
    expect(s.lastAudit()).toMatchObject({ event: 'token.revoke', outcome: 'refused', clientId: 'beta', jti: decodeJwt(token).jti });
    expect((await introspect(token)).body.active).toBe(true);
  });

  it('lets the audience of a token revoke it', async () => {
    const token = await alphaToken(s, { audience: 'beta' });
    expect((await s.post('/revoke', { token, ...beta })).status).toBe(200);
    expect((await introspect(token)).body).toEqual({ active: false });
  });
});

describe('may_act (RFC 8693 §4.4) end to end', () => {
  async function gammaToken(): Promise<string> {
    const now = Math.floor(s.clock.now().getTime() / 1000);
    const assertion = await new SignJWT({ iss: 'gamma', sub: 'gamma', aud: `${ISSUER}/token`, exp: now + 60, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'gamma-1' })
      .sign(s.gammaKey);
    const res = await s.post('/token', {
      grant_type: 'client_credentials',
      audience: 'alpha',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('lets the named actor act, and refuses any other', async () => {
    const subject = await gammaToken();
    expect(decodeJwt(subject).may_act).toEqual({ sub: 'alpha' });
    const actorAlpha = await alphaToken(s);
    const ok = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, actor_token: actorAlpha, actor_token_type: AT_TYPE, audience: AUD.sis }, alpha);
    expect(ok.status).toBe(200);
    const claims = decodeJwt(((await ok.json()) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ sub: 'gamma', client_id: 'alpha', act: { sub: 'alpha' }, scope: 'student.read' });
    expect(claims.may_act).toBeUndefined();

    // beta is an audience of this alpha token, so beta may present it — but may_act names alpha only.
    const actorBeta = await (async () => {
      const r = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.reports, scope: 'student.read', ...beta });
      return ((await r.json()) as { access_token: string }).access_token;
    })();
    const refused = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, actor_token: actorBeta, actor_token_type: AT_TYPE, audience: AUD.sis }, alpha);
    // alpha presenting beta's token as actor: the actor token is not alpha's → invalid_grant before may_act.
    expect(refused.status).toBe(400);
    expect(s.lastAudit().reason).toMatch(/was issued to client beta, not to or for alpha/);

    const selfActor = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, actor_token: subject, actor_token_type: AT_TYPE, audience: AUD.sis }, alpha);
    expect(await selfActor.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(s.lastAudit().reason).toBe(`actor "gamma" is not allowed by the subject token's may_act`);
  });
});
