import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

/** Browsers ask every origin for /favicon.ico on every page: a small icon, cached for a year, not a 404. */
let s: TestService;
beforeAll(async () => {
  s = await startTestService();
});
afterAll(() => s.stop());

describe('GET /favicon.ico', () => {
  it('serves a 32×32 ICO (one PNG image) with a long cache', async () => {
    const res = await s.app.request('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(body.length));
    // ICONDIR: reserved 0, type 1 (icon), one image; its entry: 32×32, 32 bpp, PNG data at offset 22.
    expect([body.readUInt16LE(0), body.readUInt16LE(2), body.readUInt16LE(4)]).toEqual([0, 1, 1]);
    expect([body[6], body[7], body.readUInt16LE(12), body.readUInt32LE(18)]).toEqual([32, 32, 32, 22]);
    expect(body.subarray(22, 30)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(body.readUInt32LE(14)).toBe(body.length - 22);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const res = await s.app.request('/favicon.ico', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    expect(await res.text()).toBe('');
  });
});
