import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, SECRETS, startTestService, type TestService } from '../helpers/service.js';
import { eventually, onTheWire, rawClient, type OnTheWire } from '../helpers/wire.js';

/**
 * A client that goes away mid-upload, or sends broken chunked framing, is not a server fault: no "unexpected
 * error" with a stack trace, no 500 in /metrics (anyone could fire 5xx alerts at will), one info line each.
 */
let s: TestService;
let wire: OnTheWire;
beforeAll(async () => {
  s = await startTestService();
  wire = await onTheWire(s);
});
afterAll(async () => {
  await wire.close();
  s.stop();
});

const head = (path: string, framing: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('alpha', SECRETS.alpha)}\r\nContent-Type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n`;

/** Sends `bytes` on a fresh connection, then (when `destroy`) drops it; resolves once the server has seen it through. */
async function send(bytes: string, destroy: boolean): Promise<string> {
  const client = await rawClient(wire.port);
  client.socket.write(bytes);
  if (destroy) {
    await new Promise((r) => setTimeout(r, 50)); // let the server start reading the body before the client leaves
    client.socket.destroy();
    return '';
  }
  return client.closed;
}

const lines = () => s.logs.map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown; status?: number; path?: string });

describe('client aborts and broken framing', () => {
  it('are classified as client aborts: no 500 counted, one info line each, no stack trace', async () => {
    const before = s.logs.length;
    const rows = s.auditRows().length;
    // 1. A declared length, half the body, then the client goes away.
    await send(`${head('/token', 'Content-Length: 200')}grant_type=client_cred`, true);
    // 2. Chunked, one chunk, then the client goes away.
    await send(`${head('/introspect', 'Transfer-Encoding: chunked')}5\r\ntoken\r\n`, true);
    // 3. Chunked with a chunk size that is not hex: Node's parser answers 400 and closes.
    const answer = await send(`${head('/revoke', 'Transfer-Encoding: chunked')}5\r\ntoken\r\nzz\r\nxx\r\n0\r\n\r\n`, false);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);

    // Each request's handler sees its body fail, and says so once.
    await eventually(() => lines().slice(before).filter((l) => l.msg === 'client aborted the request').length === 3);
    const logged = lines().slice(before);
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
    expect(logged.filter((l) => l.err !== undefined)).toEqual([]);
    expect(logged.filter((l) => l.msg === 'client aborted the request').map((l) => [l.level, l.path])).toEqual([
      [30, '/token'],
      [30, '/introspect'],
      [30, '/revoke'],
    ]);
    // Not a decision: nothing to audit.
    expect(s.auditRows().length).toBe(rows);

    const metrics = await (await fetch(`http://127.0.0.1:${wire.port}/metrics`)).text();
    expect(metrics).not.toMatch(/^campus_sts_http_requests_total\{[^}]*status="5\d\d"\}/m);
    for (const route of ['/token', '/introspect', '/revoke']) {
      expect(metrics).toContain(`campus_sts_http_requests_total{route="${route}",method="POST",status="499"} 1`);
    }
  });
});
