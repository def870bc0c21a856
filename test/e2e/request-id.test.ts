import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUD, SECRETS, startTestService, type TestService } from '../helpers/service.js';
import { auditOf, CALLBACK, startOidcUpstream, startWorldService, studentToken, viaProxy, type OidcUpstream } from '../upstream/world.js';

/**
 * Our request id is always our own (a UUIDv7 we made): the caller's `X-Request-Id` never becomes the audit row's
 * request id, the answer's, or the one forwarded upstream, so a caller cannot make its rows look like part of
 * another request. A caller's id that passes a strict check is kept apart, in the access log line.
 */
const OURS = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const services: TestService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));

const accessLine = (s: TestService, requestId: string) =>
  s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.req_id === requestId);

describe('X-Request-Id from the caller', () => {
  const victim = '01a24309-16ff-7025-85ca-cb6cd929f0a4';

  it('never becomes our request id: answer, audit row and log carry ours; the caller id is logged apart', async () => {
    const s = await startTestService();
    services.push(s);
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: AUD.sis }, ['alpha', SECRETS.alpha], { 'x-request-id': victim });
    expect(res.status).toBe(200);
    const ours = res.headers.get('x-request-id')!;
    expect(ours).toMatch(OURS);
    expect(ours).not.toBe(victim);
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'success', requestId: ours });
    expect(accessLine(s, ours)).toMatchObject({ req_id: ours, client_request_id: victim, status: 200 });
    expect(JSON.stringify(s.auditRows())).not.toContain(victim);
  });

  it('keeps a caller id only when it is short and plain', async () => {
    const s = await startTestService();
    services.push(s);
    for (const bad of ['x'.repeat(65), 'has space', 'quote"d', 'ünïcode', '<script>']) {
      const res = await s.app.request('/healthz', { headers: { 'x-request-id': bad } });
      const ours = res.headers.get('x-request-id')!;
      expect(ours).toMatch(OURS);
      const line = accessLine(s, ours)!;
      expect(line.status).toBe(200);
      expect(line).not.toHaveProperty('client_request_id');
    }
    const res = await s.app.request('/healthz', { headers: { 'x-request-id': 'Proxy-1234.abc_DEF:9' } });
    expect(accessLine(s, res.headers.get('x-request-id')!)).toMatchObject({ client_request_id: 'Proxy-1234.abc_DEF:9' });
  });

  it('gives every request an id of its own without one', async () => {
    const s = await startTestService();
    services.push(s);
    const a = (await s.app.request('/healthz')).headers.get('x-request-id')!;
    const b = (await s.app.request('/healthz')).headers.get('x-request-id')!;
    expect(a).toMatch(OURS);
    expect(b).toMatch(OURS);
    expect(a).not.toBe(b);
  });
});

describe('what the upstream proxy forwards', () => {
  let up: OidcUpstream;
  beforeAll(async () => {
    up = await startOidcUpstream({ redirectUris: [CALLBACK('records')] });
  });
  afterAll(() => up.stop());

  it('forwards our request id, not the caller one', async () => {
    const s = await startWorldService(up);
    services.push(s);
    const res = await viaProxy(s, '/sis/students/S1001', await studentToken(s), { headers: { 'x-request-id': 'forged-upstream-id' } });
    expect(res.status).toBe(200);
    const ours = res.headers.get('x-request-id')!;
    expect(ours).toMatch(OURS);
    expect(up.calls.at(-1)!.headers['x-request-id']).toBe(ours);
    expect(auditOf(s, 'upstream.call')[0]).toMatchObject({ outcome: 'success', requestId: ours });
    expect(JSON.stringify(s.auditRows())).not.toContain('forged-upstream-id');
  });
});
