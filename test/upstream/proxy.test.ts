import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditOf, CALLBACK, dataOf, ISSUER, startOidcUpstream, startWorldService, studentToken, SURVEY_ORIGIN, upstreamSecrets, viaProxy, type OidcUpstream, type TestService } from './world.js';

/** Flow 4, authorization: what a respondent's token reaches through `/upstreams/{id}/…`, and what it never does. */

let up: OidcUpstream;
let s: TestService;
beforeAll(async () => {
  up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
});
afterAll(() => up.stop());
beforeEach(async () => {
  s = await startWorldService(up);
});
afterEach(() => {
  // No answer, log line or audit row ever carries an upstream token.
  const secrets = upstreamSecrets(up);
  const audit = JSON.stringify(s.auditRows());
  for (const t of secrets) {
    expect(audit).not.toContain(t);
    expect(s.logs.join('')).not.toContain(t);
  }
  s.stop();
});

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a student reaches their own record and nothing else', () => {
  it('returns their record, fetched with the vaulted upstream token (client credentials, connected on first use)', async () => {
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ student_id: 'S1001', name: 'Ada Lovelace' });
    const call = up.calls.at(-1)!;
    expect(call.url).toBe('/api/students/S1001');
    expect(call.headers.authorization).toMatch(/^Bearer [\w-]{43}$/);
    const headers: string[] = [];
    res.headers.forEach((v, k) => headers.push(`${k}: ${v}`));
    for (const t of upstreamSecrets(up)) expect(text + headers.join('\n')).not.toContain(t);
    // The first use connected the client-credentials upstream, and the call is audited without bodies.
    expect(dataOf(auditOf(s, 'upstream.connect')[0])).toEqual({ upstream: 'sis', method: 'client_credentials', expires_in: 3600 });
    const row = auditOf(s, 'upstream.call')[0]!;
    expect(row).toMatchObject({ outcome: 'success', subject: 'student-S1001', clientId: 'survey:course-eval', audience: 'sis', requestId: res.headers.get('x-request-id') });
    expect(dataOf(row)).toEqual({ upstream: 'sis', route: 'own-record', method: 'GET', status: 200, upstream_status: 200, latency_ms: expect.any(Number) });
    expect(row.data).not.toContain('Ada');
    // …and measured (Prometheus): latency by upstream and status, refreshes by outcome.
    const metrics = await (await s.app.request(`${ISSUER}/metrics`)).text();
    expect(metrics).toContain('campus_sts_upstream_request_duration_seconds_count{upstream="sis",status="200"} 1');
    expect(metrics).toContain('campus_sts_upstream_refreshes_total{upstream="sis",outcome="success"} 1');
  });

  it('serves a fixed URL for "my record" (path /me, upstream path from the claims)', async () => {
    const res = await viaProxy(s, '/sis/me', await studentToken(s, { studentId: 'S2002' }));
    expect(await json(res)).toMatchObject({ status: 200, body: { student_id: 'S2002' } });
    expect(up.calls.at(-1)!.url).toBe('/api/students/S2002');
  });

  it('encodes a claim as exactly one path segment', async () => {
    const token = await studentToken(s, { studentId: 'S 3/3' });
    const res = await viaProxy(s, '/sis/students/S%203%2F3', token);
    // An encoded slash in the *request* is refused outright; the identity comes from the claim instead.
    expect(res.status).toBe(403);
    const mine = await viaProxy(s, '/sis/me', token);
    expect(await json(mine)).toMatchObject({ status: 200, body: { student_id: 'S 3/3' } });
    expect(up.calls.at(-1)!.url).toBe('/api/students/S%203%2F3');
  });

  const refusals: [string, string, { method: string } | undefined, { studentId?: string | null; aud?: string[]; scope?: string[] } | undefined, number, Record<string, unknown>, string][] = [
    ["another student's id", '/sis/students/S2002', undefined, undefined, 403, { error: 'access_denied', error_description: 'no route allows this request' }, 'identity: path /students/S2002 does not match the caller\'s claims'],
    ['an unlisted path', '/sis/admin/export', undefined, undefined, 403, { error: 'access_denied', error_description: 'no route allows this request' }, 'no_route: no route for path /admin/export'],
    ['a method not in the table', '/sis/students/S1001', { method: 'DELETE' }, undefined, 403, { error: 'access_denied', error_description: 'this method is not allowed for this path' }, 'method DELETE is not allowed for path /students/S1001'],
    ['a token without the claim the route needs', '/sis/students/S1001', undefined, { studentId: null }, 403, { error: 'access_denied', error_description: 'the token lacks a claim this route needs' }, 'the token has no usable claim "student_id"'],
    ['a claim that would be a dot segment', '/sis/me', undefined, { studentId: '..' }, 403, { error: 'access_denied', error_description: 'the token lacks a claim this route needs' }, 'the token has no usable claim "student_id"'],
    ['a token whose audience is another upstream', '/sis/students/S1001', undefined, { aud: ['other-api'] }, 403, { error: 'access_denied', error_description: 'the token is not for this upstream' }, 'token audience other-api does not include sis'],
    ['a token for the other upstream', '/records/students/S1001', undefined, { aud: ['sis'] }, 403, { error: 'access_denied', error_description: 'the token is not for this upstream' }, 'token audience sis does not include https://records.campus.test/api'],
    ['a query parameter not on the list', '/sis/students/S1001?include=ssn', undefined, undefined, 403, { error: 'access_denied', error_description: 'a query parameter is not allowed for this path' }, 'query parameter "include" is not allowed by the route'],
    ['an unknown upstream', '/nope/students/S1001', undefined, undefined, 404, { error: 'invalid_request', error_description: 'no such upstream' }, 'unknown upstream "nope"'],
  ];
  for (const [name, path, init, token, status, body, reason] of refusals) {
    it(`refuses ${name} (${status}), audited, upstream never called`, async () => {
      const before = up.calls.length;
      const res = await viaProxy(s, path, await studentToken(s, token), init);
      expect(await json(res)).toEqual({ status, body });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(up.calls.length).toBe(before);
      const row = auditOf(s, 'upstream.call')[0]!;
      expect(row).toMatchObject({ outcome: 'refused', reason });
      expect(dataOf(row)).toMatchObject({ status, error: body.error });
    });
  }

  it('refuses a token without the route scope: 403 insufficient_scope with the RFC 6750 challenge', async () => {
    const res = await viaProxy(s, '/sis/students/S1001/enrollments', await studentToken(s, { scope: ['student.read'] }));
    expect(await json(res)).toEqual({ status: 403, body: { error: 'insufficient_scope', error_description: 'the token does not carry the scope this request needs' } });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="campus-sts", error="insufficient_scope", error_description="the token does not carry the scope this request needs", scope="enrollment.read"');
  });
});

describe('the bearer token (RFC 6750)', () => {
  it('asks for a token with a bare challenge when none is sent', async () => {
    const res = await viaProxy(s, '/sis/students/S1001', undefined);
    expect(await json(res)).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'a bearer token is required' } });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="campus-sts"');
  });

  it.each([
    ['expired', async () => { const t = await studentToken(s, { ttlSeconds: 60 }); s.clock.advance(120_000); return t; }, 'token rejected: ERR_JWT_EXPIRED (exp)'],
    ['revoked', async () => { const t = await studentToken(s); const { decodeJwt } = await import('jose'); s.sqlite.sqlite.prepare('INSERT INTO revoked_tokens (jti, client_id, revoked_at, expires_at) VALUES (?, ?, ?, ?)').run(decodeJwt(t).jti, 'survey:course-eval', Date.now(), Date.now() + 600_000); return t; }, 'token revoked'],
    ['not ours', async () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln', 'token rejected: ERR_JOSE_ALG_NOT_ALLOWED'],
    ['a Basic credential', async () => undefined, 'malformed Authorization header'],
  ])('answers 401 invalid_token for a %s token', async (_name, make, reason) => {
    const token = await make();
    const res = await viaProxy(s, '/sis/students/S1001', token, token === undefined ? { headers: { authorization: 'Basic YTpi' } } : {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="campus-sts", error="invalid_token", error_description="[^"]+"$/);
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'refused', reason });
  });
});

describe('a token that worked a moment ago (verified once, then served from the verified-token cache)', () => {
  it('stops working when it is revoked', async () => {
    const token = await studentToken(s);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    const { decodeJwt } = await import('jose');
    s.sqlite.sqlite.prepare('INSERT INTO revoked_tokens (jti, client_id, revoked_at, expires_at) VALUES (?, ?, ?, ?)').run(decodeJwt(token).jti, 'survey:course-eval', Date.now(), Date.now() + 600_000);
    const res = await viaProxy(s, '/sis/students/S1001', token);
    expect(await json(res)).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'the token is invalid, expired or revoked' } });
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'refused', reason: 'token revoked' });
  });

  it('stops working when it expires (injected clock, the same skew as a first verification)', async () => {
    const token = await studentToken(s, { ttlSeconds: 60 });
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    s.clock.advance((60 + s.config.tokens.clock_skew_seconds - 1) * 1000);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    s.clock.advance(1000);
    const res = await viaProxy(s, '/sis/students/S1001', token);
    expect(res.status).toBe(401);
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'refused', reason: 'token rejected: ERR_JWT_EXPIRED (exp)' });
  });

  it('is not confused with a token that differs only in its signature', async () => {
    const token = await studentToken(s);
    expect((await viaProxy(s, '/sis/students/S1001', token)).status).toBe(200);
    const [h, p, sig] = token.split('.') as [string, string, string];
    // The first character carries the signature's first six bits (the last one's low bits are only padding).
    const forged = `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    const res = await viaProxy(s, '/sis/students/S1001', forged);
    expect(res.status).toBe(401);
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'refused', reason: 'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});

describe('path traversal over real HTTP (no client-side URL normalisation)', () => {
  it.each([
    ['dot-dot', '/upstreams/sis/students/S1001/../S2002'],
    ['encoded dot-dot', '/upstreams/sis/students/S1001/%2e%2e/S2002'],
    ['mixed-case encoded dot-dot', '/upstreams/sis/students/%2E%2e/%2e%2E/admin'],
    ['encoded slash', '/upstreams/sis/students/S2002%2fprofile'],
    ['double encoding', '/upstreams/sis/students/S1001%252f..%252fS2002'],
    ['encoded backslash', '/upstreams/sis/students/S1001%5c..%5cS2002'],
    ['single dot', '/upstreams/sis/students/./S2002'],
    ['empty segment', '/upstreams/sis/students//S1001'],
    ['out of the upstream prefix', '/upstreams/sis/../records/students/S1001'],
  ])('refuses %s', async (_name, rawPath) => {
    const { serve } = await import('@hono/node-server');
    const http = await import('node:http');
    const server = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const token = await studentToken(s);
    const before = up.calls.length;
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET', headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect([400, 403, 404]).toContain(status);
      expect(up.calls.length).toBe(before);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses a raw backslash before routing', async () => {
    const net = await import('node:net');
    const { serve } = await import('@hono/node-server');
    const server = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const token = await studentToken(s);
    try {
      const answer = await new Promise<string>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => sock.end(`GET /upstreams/sis/students/S1001\\..\\S2002 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`));
        let data = '';
        sock.on('data', (d) => (data += d));
        sock.on('close', () => resolve(data));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('what crosses the proxy', () => {
  it("strips the caller's Authorization, cookies and hop-by-hop headers, and the upstream's cookies", async () => {
    const res = await viaProxy(s, '/sis/students/S1001?fields=name', await studentToken(s), {
      headers: {
        cookie: 'session=secret-cookie',
        connection: 'x-custom-hop',
        'x-custom-hop': 'hop',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic cHJveHk6cHJveHk=',
        'x-forwarded-for': '203.0.113.9',
        'accept-language': 'fr',
        origin: SURVEY_ORIGIN,
      },
    });
    expect(res.status).toBe(200);
    const sent = up.calls.at(-1)!;
    expect(sent.url).toBe('/api/students/S1001?fields=name');
    expect(sent.headers.cookie).toBeUndefined();
    expect(sent.headers['x-custom-hop']).toBeUndefined();
    expect(sent.headers['proxy-authorization']).toBeUndefined();
    expect(sent.headers['x-forwarded-for']).toBeUndefined();
    expect(sent.headers.origin).toBeUndefined();
    expect(sent.headers['accept-language']).toBe('fr');
    expect(sent.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    // The caller's JWT never reaches the upstream; the vaulted token replaces it.
    expect(sent.token).not.toMatch(/^eyJ/);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('x-upstream')).toBe('records');
    expect(res.headers.get('access-control-allow-origin')).toBe(SURVEY_ORIGIN);
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('keeps only the allow-listed fields of a JSON answer (arrays per item, nested paths)', async () => {
    const token = await studentToken(s);
    const list = await viaProxy(s, '/sis/students/S1001/enrollments', token);
    expect(await json(list)).toEqual({ status: 200, body: [{ course: 'MATH101', term: '2026F' }, { course: 'CS102', term: '2026F' }] as unknown as Record<string, unknown> });
    const profile = await viaProxy(s, '/sis/students/S1001/profile', token);
    expect(await json(profile)).toEqual({ status: 200, body: { student_id: 'S1001', name: 'Ada Lovelace', advisor: { name: 'C. Babbage' } } });
  });

  it('forwards a JSON body on an allowed POST', async () => {
    const res = await viaProxy(s, '/sis/students/S1001/notes', await studentToken(s), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"note":"hello"}' });
    expect(await json(res)).toEqual({ status: 201, body: { stored: true, received: '{"note":"hello"}', content_type: 'application/json' } });
  });

  it('refuses a body larger than server.max_body_bytes', async () => {
    const res = await viaProxy(s, '/sis/students/S1001/notes', await studentToken(s), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
  });

  it('answers a CORS preflight for a configured survey origin only', async () => {
    const ok = await s.app.request(`${ISSUER}/upstreams/sis/students/S1001`, { method: 'OPTIONS', headers: { origin: SURVEY_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(ok.status).toBe(204);
    const cors: Record<string, string> = {};
    ok.headers.forEach((v, k) => (k.startsWith('access-control') || k === 'vary' ? (cors[k] = v) : undefined));
    expect(cors).toEqual({
      'access-control-allow-origin': SURVEY_ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      'access-control-expose-headers': 'Retry-After, ETag, X-Request-Id',
      vary: 'Origin',
    });
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const evil = await s.app.request(`${ISSUER}/upstreams/sis/students/S1001`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await viaProxy(s, '/sis/students/S2002', await studentToken(s), { headers: { origin: SURVEY_ORIGIN } });
    // Refusals carry CORS headers too, so survey JavaScript can read why.
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(SURVEY_ORIGIN);
  });
});
