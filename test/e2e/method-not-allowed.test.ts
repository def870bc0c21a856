import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ISSUER, type TestService } from '../helpers/service.js';
import { startSurveyService, SURVEY_ORIGIN } from '../helpers/survey-service.js';

/** A method a route does not serve is a 405 naming the methods it does (RFC 9110 §15.5.6), decided once in the app. */
let s: TestService;
beforeAll(async () => {
  s = await startSurveyService();
});
afterAll(() => s.stop());

const notAllowed = { error: 'invalid_request', error_description: 'the method is not allowed for this endpoint' };

describe('405 with Allow', () => {
  const cases: [string, string, string][] = [
    ['GET', '/token', 'POST'],
    ['PUT', '/introspect', 'POST'],
    ['GET', '/revoke', 'POST'],
    ['DELETE', '/saml/acs', 'POST'],
    ['GET', '/launch/redeem', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/jwks.json', 'GET, HEAD'],
    ['POST', '/launch/course-eval', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    it(`${method} ${path}`, async () => {
      const res = await s.app.request(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(notAllowed);
    });
  }

  it('a path no route has is still a 404', async () => {
    const res = await s.app.request('/no/such/thing', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'no such endpoint' });
  });

  it('counts 405s as unmatched (no route served them), one per answer', async () => {
    const line = /^campus_sts_http_requests_total\{route="unmatched",method="GET",status="405"\} (\d+)$/m;
    const count = async () => Number(line.exec(await (await s.app.request('/metrics')).text())?.[1] ?? 0);
    const before = await count();
    await s.app.request('/token', { method: 'GET' });
    expect(await count()).toBe(before + 1);
  });
});

describe('what keeps working', () => {
  it('the CORS preflight of /launch/redeem from an allowed origin', async () => {
    const res = await s.app.request('/launch/redeem', { method: 'OPTIONS', headers: { origin: SURVEY_ORIGIN, 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SURVEY_ORIGIN);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
  });

  it('HEAD where GET is served', async () => {
    expect((await s.app.request('/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it('a survey launch next to /launch/redeem, counted under its template', async () => {
    const res = await s.app.request('/launch/course-eval');
    expect(res.status).toBe(303);
    const metrics = await (await s.app.request('/metrics')).text();
    expect(metrics).toContain('campus_sts_http_requests_total{route="/launch/:survey",method="GET",status="303"} 1');
  });

  it('no survey may be called "redeem"', () => {
    const config = { issuer: ISSUER, master_key: { key_env: 'K' }, audiences: [{ id: 'a', scopes: ['s'] }], idps: [], surveys: [{ id: 'redeem', url: 'https://x.example.edu/', audience: 'a', scopes: ['s'], idp: 'campus' }] };
    expect(() => parseConfig(config)).toThrow(/surveys\[0\]\.id: "redeem" is reserved \(POST \/launch\/redeem\)/);
  });
});
