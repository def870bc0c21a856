import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, SECRETS, startTestService, type TestService } from '../helpers/service.js';

let s: TestService;
beforeAll(async () => {
  s = await startTestService();
});
afterAll(() => s.stop());

const form = 'application/x-www-form-urlencoded';
const auth = basic('alpha', SECRETS.alpha);
const bodies: [string, string | Uint8Array<ArrayBuffer>, Record<string, string>][] = [
  ['empty body', '', { 'content-type': form, authorization: auth }],
  ['bad percent-encoding', 'grant_type=%E0%A4%A&scope=%', { 'content-type': form, authorization: auth }],
  ['invalid UTF-8', new Uint8Array([0x67, 0x3d, 0xff, 0xfe, 0xfd]), { 'content-type': form, authorization: auth }],
  ['binary garbage', new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)), { 'content-type': form, authorization: auth }],
  ['no content type', 'grant_type=client_credentials', { authorization: auth }],
  ['multipart', '--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x', authorization: auth }],
  ['a huge Authorization header', 'grant_type=client_credentials', { 'content-type': form, authorization: 'Basic ' + 'A'.repeat(6000) }],
  ['Bearer instead of Basic', 'grant_type=client_credentials', { 'content-type': form, authorization: 'Bearer abc' }],
  ['Basic with no colon', 'grant_type=client_credentials', { 'content-type': form, authorization: 'Basic ' + Buffer.from('alpha').toString('base64') }],
  ['Basic with bad %-encoding', 'grant_type=client_credentials', { 'content-type': form, authorization: 'Basic ' + Buffer.from('al%ZZ:x').toString('base64') }],
  ['too many parameters', Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&'), { 'content-type': form, authorization: auth }],
  ['a client assertion that is not a JWT', 'client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=xyz', { 'content-type': form }],
  ['a subject token of 100 kB', `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&subject_token=${'a'.repeat(60_000)}`, { 'content-type': form, authorization: auth }],
];

describe('bad input of any shape gets a 4xx with an RFC 6749 body and an audit row, never a 5xx', () => {
  for (const path of ['/token', '/introspect', '/revoke']) {
    for (const [name, body, headers] of bodies) {
      it(`${path}: ${name}`, async () => {
        const before = s.auditRows().length;
        const res = await s.app.request(path, { method: 'POST', headers, body });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as Record<string, unknown>;
        expect(Object.keys(json).sort()).toEqual(['error', 'error_description']);
        expect(json.error).toMatch(/^(invalid_request|invalid_client|invalid_grant|unsupported_grant_type)$/);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(s.auditRows().length).toBe(before + 1);
        expect(s.lastAudit().outcome).toBe('refused');
      });
    }
  }

  it('GET on a POST endpoint is a JSON 405 naming POST, not a crash', async () => {
    const res = await s.app.request('/token');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'the method is not allowed for this endpoint' });
  });
});
