import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUD, basic, SECRETS, startTestService, type TestService } from '../helpers/service.js';

/**
 * Request bodies over a real socket (the Node HTTP parser in front, as in production): a body that declares its
 * length is read in one piece (and refused before it is read when too large); a chunked one is counted as it
 * streams in and cut off at the cap.
 */
let s: TestService;
let server: Server;
let port: number;
beforeAll(async () => {
  s = await startTestService();
  server = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  s.stop();
});

const form = new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString();
const headers = { authorization: basic('alpha', SECRETS.alpha), 'content-type': 'application/x-www-form-urlencoded' };

/** Sends `chunks` (chunked transfer encoding unless `contentLength` is given) and reads the answer. */
function post(chunks: string[], contentLength?: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/token', method: 'POST', headers: { ...headers, ...(contentLength !== undefined ? { 'content-length': contentLength } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    // A declared length larger than what was sent: the answer must come without the rest of the body.
    if (contentLength === undefined || contentLength === Buffer.byteLength(chunks.join(''))) req.end();
  });
}

const tooLarge = { error: 'invalid_request', error_description: 'the request body is larger than 65536 bytes' };

describe('request bodies on the wire', () => {
  it('reads a body with a Content-Length', async () => {
    const res = await post([form], Buffer.byteLength(form));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('reads a chunked body without a Content-Length', async () => {
    const half = form.length >> 1;
    const res = await post([form.slice(0, half), form.slice(half)]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
  });

  it('refuses a declared length over the cap before the body arrives, and audits it', async () => {
    const res = await post([form], 70_000);
    expect(res).toEqual({ status: 413, body: tooLarge });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason: 'the request body is larger than 65536 bytes', clientId: null });
  });

  it('cuts off a chunked body at the cap, and audits it', async () => {
    const res = await post([`${form}&scope=`, 'x'.repeat(40_000), 'x'.repeat(40_000)]);
    expect(res).toEqual({ status: 413, body: tooLarge });
    expect(s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason: 'the request body is larger than 65536 bytes', clientId: null });
  });
});
