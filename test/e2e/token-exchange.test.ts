import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alphaToken, AT_TYPE, AUD, EXCHANGE, ISSUER, JWT_TYPE, SECRETS, startTestService, type TestService } from '../helpers/service.js';

let s: TestService;
beforeEach(async () => {
  s = await startTestService();
});
afterEach(() => s.stop());

const alpha: [string, string] = ['alpha', SECRETS.alpha];

async function exchange(form: Record<string, string | string[]>, auth: [string, string] = alpha) {
  const res = await s.post('/token', { grant_type: EXCHANGE, ...form }, auth);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('client_credentials (RFC 6749 §4.4)', () => {
  it('issues an RFC 9068 token for the client itself, verifiable with the published JWKS', async () => {
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.sis, scope: 'student.read grades.read' }, alpha);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    const jwks = (await (await s.app.request('/jwks.json')).json()) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, createLocalJWKSet(jwks), { currentDate: s.clock.now(), typ: 'at+jwt' });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: jwks.keys.map((k: { kid: string }) => k.kid)[0], typ: 'at+jwt' });
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'alpha',
      aud: AUD.sis,
      client_id: 'alpha',
      scope: 'student.read grades.read',
      iat: Date.parse('2026-11-23T10:00:00Z') / 1000,
      exp: Date.parse('2026-11-23T10:05:00Z') / 1000,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), // RFC 9562 UUIDv7
    });
    const row = s.lastAudit();
    expect(row).toMatchObject({
      event: 'token.issue',
      outcome: 'success',
      clientId: 'alpha',
      subject: 'alpha',
      audience: AUD.sis,
      scope: 'student.read grades.read',
      jti: payload.jti,
      reason: null,
    });
    expect(JSON.parse(row.data!)).toEqual({ grant_type: 'client_credentials', expires_in: 300 });
    expect(row.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('grants every allowed scope when none is requested, and says so in the response', async () => {
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.reports }, alpha);
    const body = (await res.json()) as Record<string, unknown>;
    // reports caps the lifetime at 120 s and allows only two of alpha's scopes.
    expect(body).toMatchObject({ scope: 'student.read enrollment.read', expires_in: 120 });
  });
});

describe('token exchange (RFC 8693) with our own tokens', () => {
  it('narrows scope and moves to another allowed audience; lifetime capped by policy', async () => {
    const subject = await alphaToken(s);
    const r = await exchange({ subject_token: subject, subject_token_type: AT_TYPE, audience: AUD.reports, scope: 'enrollment.read' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({ access_token: expect.any(String), issued_token_type: AT_TYPE, token_type: 'Bearer', expires_in: 120 });
    const claims = decodeJwt(r.body.access_token as string);
    expect(claims).toMatchObject({ sub: 'alpha', aud: AUD.reports, scope: 'enrollment.read', client_id: 'alpha', iss: ISSUER });
    expect(claims.jti).not.toBe(decodeJwt(subject).jti);
    const row = s.lastAudit();
    expect(row).toMatchObject({ event: 'token.issue', outcome: 'success', clientId: 'alpha', subject: 'alpha', audience: AUD.reports, scope: 'enrollment.read', jti: claims.jti });
    expect(JSON.parse(row.data!)).toEqual({ grant_type: EXCHANGE, subject_token_type: AT_TYPE, subject_token: decodeJwt(subject).jti, expires_in: 120 });
  });

  it('never outlives the subject token', async () => {
    const subject = await alphaToken(s);
    s.clock.advance(250_000);
    const r = await exchange({ subject_token: subject, subject_token_type: JWT_TYPE, audience: AUD.sis, requested_token_type: JWT_TYPE });
    expect(r.body).toMatchObject({ expires_in: 50, issued_token_type: JWT_TYPE });
  });

  it('keeps the subject audience and scope when the request names neither', async () => {
    const subject = await alphaToken(s, { scope: 'student.read' });
    const r = await exchange({ subject_token: subject, subject_token_type: AT_TYPE });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token as string)).toMatchObject({ aud: AUD.sis, scope: 'student.read' });
    expect(r.body.scope).toBe('student.read');
  });

  it('accepts repeated audience and resource parameters as one multi-audience token', async () => {
    const subject = await alphaToken(s);
    const r = await exchange({ subject_token: subject, subject_token_type: AT_TYPE, audience: AUD.sis, resource: AUD.reports, scope: 'student.read' });
    expect(r.status).toBe(200);
    expect(r.body.scope).toBeUndefined();
    expect(decodeJwt(r.body.access_token as string).aud).toEqual([AUD.sis, AUD.reports]);
  });

  it('answers requests arriving together from one shared commit, each with its own audit row, granted or refused', async () => {
    const subject = await alphaToken(s);
    const before = s.auditRows().length;
    let transactions = 0;
    // The file check runs once before each commit.
    const checkFile = s.sqlite.checkFile.bind(s.sqlite);
    s.sqlite.checkFile = () => (transactions++, checkFile());
    const forms = Array.from({ length: 12 }, (_, i) => ({ subject_token: subject, subject_token_type: AT_TYPE, audience: AUD.reports, scope: i % 4 === 3 ? 'grades.read' : 'enrollment.read' }));
    const answers = await Promise.all(forms.map((f) => exchange(f)));
    expect(answers.map((a) => a.status)).toEqual(forms.map((f) => (f.scope === 'grades.read' ? 400 : 200)));
    const rows = s.auditRows().slice(before);
    expect(rows.filter((r) => r.outcome === 'success').map((r) => r.jti).sort()).toEqual(answers.filter((a) => a.status === 200).map((a) => decodeJwt(a.body.access_token as string).jti).sort());
    expect(rows.filter((r) => r.outcome === 'refused').map((r) => r.reason)).toEqual(Array(3).fill('scope "grades.read" is not allowed by the audience policy'));
    expect(transactions).toBeLessThan(forms.length);
    expect(await s.audit.verify()).toMatchObject({ ok: true, rows: before + forms.length });
  });

  const refusals: [string, (subject: string) => Record<string, string | string[]>, number, Record<string, string>, string][] = [
    ['unknown audience', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, audience: 'https://unknown.example.edu' }), 400,
      { error: 'invalid_target', error_description: 'the requested audience is not known' }, 'unknown audience "https://unknown.example.edu"'],
    ['audience not allowed for the client', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, audience: AUD.other }), 400,
      { error: 'invalid_target', error_description: 'the requested audience is not allowed for this client' }, `client alpha may not receive audience "${AUD.other}"`],
    ['resource that is not an absolute URI', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, resource: 'reports' }), 400,
      { error: 'invalid_target', error_description: 'resource must be an absolute URI' }, 'resource "reports" is not an absolute URI'],
    ['scope wider than the audience allows', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, audience: AUD.reports, scope: 'grades.read' }), 400,
      { error: 'invalid_scope', error_description: 'the requested scope is not allowed' }, 'scope "grades.read" is not allowed by the audience policy'],
    ['scope the client may never have', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, audience: AUD.sis, scope: 'student.write' }), 400,
      { error: 'invalid_scope', error_description: 'the requested scope is not allowed' }, 'scope "student.write" is not allowed by the subject token'],
    ['missing subject_token', () => ({ subject_token_type: AT_TYPE }), 400,
      { error: 'invalid_request', error_description: 'subject_token is required' }, 'subject_token is required'],
    ['missing subject_token_type', (t) => ({ subject_token: t }), 400,
      { error: 'invalid_request', error_description: 'subject_token_type is required' }, 'subject_token_type is required'],
    ['duplicated subject_token', (t) => ({ subject_token: [t, t], subject_token_type: AT_TYPE }), 400,
      { error: 'invalid_request', error_description: 'parameter subject_token is included more than once' }, 'parameter subject_token is included more than once'],
    ['duplicated scope', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, scope: ['student.read', 'student.read'] }), 400,
      { error: 'invalid_request', error_description: 'parameter scope is included more than once' }, 'parameter scope is included more than once'],
    ['unsupported subject_token_type', (t) => ({ subject_token: t, subject_token_type: 'urn:example:unknown' }), 400,
      { error: 'invalid_request', error_description: 'subject_token_type is not supported' }, 'unsupported subject_token_type "urn:example:unknown"'],
    ['unsupported requested_token_type', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 400,
      { error: 'invalid_request', error_description: 'requested_token_type is not supported' }, 'requested_token_type "urn:ietf:params:oauth:token-type:refresh_token"'],
    ['actor_token_type without actor_token', (t) => ({ subject_token: t, subject_token_type: AT_TYPE, actor_token_type: AT_TYPE }), 400,
      { error: 'invalid_request', error_description: 'actor_token_type given without actor_token' }, 'actor_token_type given without actor_token'],
    ['subject token that is not a JWT', () => ({ subject_token: 'not-a-token', subject_token_type: AT_TYPE }), 400,
      { error: 'invalid_grant', error_description: 'grant request is invalid' }, 'token is not a compact JWS'],
    ['subject token with a forged signature', (t) => ({ subject_token: t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA'), subject_token_type: AT_TYPE }), 400,
      { error: 'invalid_grant', error_description: 'grant request is invalid' }, 'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
  ];

  for (const [name, form, status, body, reason] of refusals) {
    it(`refuses ${name}, with the reason in the audit row only`, async () => {
      const subject = await alphaToken(s);
      const before = s.auditRows().length;
      const r = await exchange(form(subject));
      expect(r.status).toBe(status);
      expect(r.body).toEqual(body);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const rows = s.auditRows();
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toMatchObject({ event: 'token.issue', outcome: 'refused', clientId: 'alpha', reason, subject: null, jti: null });
      expect(JSON.parse(rows.at(-1)!.data!)).toEqual({ grant_type: EXCHANGE, error: body.error });
    });
  }

  it('refuses an expired subject token', async () => {
    const subject = await alphaToken(s);
    s.clock.advance(301_000 + 30_000);
    const r = await exchange({ subject_token: subject, subject_token_type: AT_TYPE });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    expect(s.lastAudit().reason).toBe('token rejected: ERR_JWT_EXPIRED (exp)');
  });

  it('refuses a revoked subject token', async () => {
    const subject = await alphaToken(s);
    expect((await s.post('/revoke', { token: subject }, alpha)).status).toBe(200);
    const r = await exchange({ subject_token: subject, subject_token_type: AT_TYPE });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(s.lastAudit().reason).toBe('token revoked');
  });

  it("refuses another client's token (foreign subject token)", async () => {
    const subject = await alphaToken(s, { audience: AUD.reports, scope: 'student.read' });
    const res = await s.post('/token', { grant_type: EXCHANGE, subject_token: subject, subject_token_type: AT_TYPE, client_id: 'beta', client_secret: SECRETS.beta });
    const r = { status: res.status, body: await res.json() };
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } });
    expect(s.lastAudit()).toMatchObject({ clientId: 'beta', reason: `token ${decodeJwt(subject).jti} was issued to client alpha, not to or for beta` });
  });

  it('refuses tokens signed by another issuer, with alg none, or with HS256', async () => {
    const { payload } = { payload: decodeJwt(await alphaToken(s)) };
    const forged = [
      new UnsecuredJWT(payload).encode(),
      await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: decodeProtectedHeader(await alphaToken(s)).kid! }).sign(new Uint8Array(32)),
    ];
    for (const token of forged) {
      const r = await exchange({ subject_token: token, subject_token_type: AT_TYPE });
      expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
    expect(s.auditRows().slice(-2).map((r) => r.reason)).toEqual(['token is not a compact JWS', 'token rejected: ERR_JOSE_ALG_NOT_ALLOWED']);
  });

});

describe('delegation: actor_token, act and may_act (RFC 8693 §4.1, §4.4)', () => {
  it('sets act to the actor and nests the subject token’s act as a prior actor', async () => {
    const subject = await alphaToken(s);
    const actor = await alphaToken(s, { audience: AUD.reports });
    const first = await exchange({ subject_token: subject, subject_token_type: AT_TYPE, actor_token: actor, actor_token_type: AT_TYPE, audience: AUD.sis });
    expect(first.status).toBe(200);
    expect(decodeJwt(first.body.access_token as string).act).toEqual({ sub: 'alpha' });
    expect(JSON.parse(s.lastAudit().data!)).toMatchObject({ actor: 'alpha' });
    const second = await exchange({ subject_token: first.body.access_token as string, subject_token_type: AT_TYPE, actor_token: actor, actor_token_type: AT_TYPE });
    expect(decodeJwt(second.body.access_token as string).act).toEqual({ sub: 'alpha', act: { sub: 'alpha' } });
    const plain = await exchange({ subject_token: first.body.access_token as string, subject_token_type: AT_TYPE });
    expect(decodeJwt(plain.body.access_token as string).act).toEqual({ sub: 'alpha' });
  });
});

describe('grant types and request shape', () => {
  const cases: [string, Record<string, string>, [string, string], Record<string, string | string[]>, number, Record<string, string>, string][] = [
    ['an unsupported grant type', {}, alpha, { grant_type: 'password' }, 400,
      { error: 'unsupported_grant_type', error_description: 'the grant type is not supported' }, 'grant_type "password"'],
    ['a missing grant type', {}, alpha, {}, 400, { error: 'invalid_request', error_description: 'grant_type is required' }, 'grant_type is required'],
    ['a grant the client may not use', {}, ['delta', SECRETS.beta], { grant_type: EXCHANGE }, 400,
      { error: 'unauthorized_client', error_description: 'the client may not use this grant type' }, `client delta may not use ${EXCHANGE}`],
    ['a duplicated grant_type', {}, alpha, { grant_type: ['client_credentials', 'client_credentials'] }, 400,
      { error: 'invalid_request', error_description: 'parameter grant_type is included more than once' }, 'parameter grant_type is included more than once'],
  ];
  for (const [name, headers, auth, form, status, body, reason] of cases) {
    it(`refuses ${name}`, async () => {
      const res = await s.post('/token', form, auth, headers);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual(body);
      expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason });
    });
  }

  it('refuses a JSON body with invalid_request and audits it', async () => {
    const res = await s.app.request('/token', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic x' }, body: '{"grant_type":"client_credentials"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'the request body must be application/x-www-form-urlencoded' });
    expect(s.lastAudit()).toMatchObject({ outcome: 'refused', reason: 'content-type "application/json"', clientId: null });
  });

  it('refuses an oversized body with 413 and audits it', async () => {
    const res = await s.post('/token', { grant_type: 'client_credentials', scope: 'x'.repeat(70_000) }, alpha);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'the request body is larger than 65536 bytes' });
    expect(s.lastAudit()).toMatchObject({ outcome: 'refused', reason: 'the request body is larger than 65536 bytes' });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await s.app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'no such endpoint' });
  });
});
