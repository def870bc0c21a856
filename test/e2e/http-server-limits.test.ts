import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { AUD, basic, ISSUER, SECRETS, startTestService, type TestService } from '../helpers/service.js';
import { eventually, onTheWire, rawClient, type OnTheWire, type RawClient } from '../helpers/wire.js';

/**
 * The server's own deadlines and connection cap (`server.*`), on a real server started by the same `listen` as
 * the CLI, with short deadlines: a client trickling its headers or body is cut off (408) while others are served;
 * connections past the cap are closed at once.
 */
let s: TestService;
beforeAll(async () => {
  s = await startTestService();
});
afterAll(() => s.stop());
const wires: OnTheWire[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.socket.destroy());
  await Promise.all(wires.splice(0).map((w) => w.close()));
});

async function serve(limits: Parameters<typeof onTheWire>[1]): Promise<OnTheWire> {
  const wire = await onTheWire(s, limits);
  wires.push(wire);
  return wire;
}
async function client(port: number): Promise<RawClient> {
  const c = await rawClient(port);
  clients.push(c);
  return c;
}

/** Writes `text` one byte every `ms` until the connection closes. */
function trickle(c: RawClient, text: string, ms: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (c.socket.destroyed || i >= text.length) return clearInterval(timer);
    c.socket.write(text[i++]!);
  }, ms);
  c.socket.on('close', () => clearInterval(timer));
}

const form = new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString();
const tokenRequest = (body: string) =>
  `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic('alpha', SECRETS.alpha)}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(form)}\r\n\r\n${body}`;

async function tokenStatus(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST',
    headers: { authorization: basic('alpha', SECRETS.alpha), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('server deadlines', () => {
  it('cuts off a client trickling its body (408), while another is served', async () => {
    const wire = await serve({ request_timeout_ms: 1000, headers_timeout_ms: 500 });
    const slow = await client(wire.port);
    slow.socket.write(tokenRequest(''));
    trickle(slow, form, 100);
    expect(await tokenStatus(wire.port)).toBe(200);
    expect(slow.socket.destroyed).toBe(false);
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('cuts off a client trickling its headers (408)', async () => {
    const wire = await serve({ request_timeout_ms: 5000, headers_timeout_ms: 500 });
    const slow = await client(wire.port);
    trickle(slow, tokenRequest(form), 100);
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('closes an idle keep-alive connection after keep_alive_timeout_ms', async () => {
    const wire = await serve({ keep_alive_timeout_ms: 1500 });
    const idle = await client(wire.port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answer = await idle.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('Keep-Alive: timeout=1\r\n');
  });
});

describe('connection cap', () => {
  it('closes connections past server.max_connections at once, and serves again when one is freed', async () => {
    const wire = await serve({ max_connections: 2 });
    const held = [await client(wire.port), await client(wire.port)];
    await eventually(async () => (await new Promise<number>((r) => wire.server.getConnections((_e, n) => r(n)))) === 2);
    const third = await client(wire.port);
    expect(await third.closed).toBe('');
    held[0]!.socket.destroy();
    await eventually(async () => (await new Promise<number>((r) => wire.server.getConnections((_e, n) => r(n)))) === 1);
    expect(await tokenStatus(wire.port)).toBe(200);
  });
});

describe('server limits in the config', () => {
  const base = { issuer: ISSUER, master_key: { key_env: 'K' } };
  it('defaults for a service behind a reverse proxy', () => {
    expect(parseConfig(base).server).toEqual({
      host: '127.0.0.1',
      port: 8787,
      max_body_bytes: 65536,
      request_timeout_ms: 30_000,
      headers_timeout_ms: 10_000,
      keep_alive_timeout_ms: 65_000,
      max_connections: 512,
      trusted_proxies: [],
      throttle: { client_failures: 10, source_failures: 50, window_seconds: 60, block_seconds: 60, max_secret_checks: 2, secret_check_queue: 32, secret_check_deadline_ms: 2000 },
      admission: { max_in_flight: 64, max_queue: 256, queue_deadline_ms: 2000, retry_after_seconds: 2 },
    });
  });

  it('refuses a headers deadline longer than the request deadline', () => {
    expect(() => parseConfig({ ...base, server: { request_timeout_ms: 5000, headers_timeout_ms: 6000 } })).toThrow(/server\.headers_timeout_ms: must not exceed server\.request_timeout_ms/);
  });
});
