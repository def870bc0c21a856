import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as secretHash from '../../src/clients/secret-hash.js';
import type { AuditRow } from '../../src/db/schema/audit-log.js';
import { AUD, basic, SECRETS, startTestService, type TestService } from '../helpers/service.js';

// A spy that calls through to the real scrypt check: which hash each refusal was checked against.
vi.mock('../../src/clients/secret-hash.js', async (importOriginal) => {
  const real = await importOriginal<typeof secretHash>();
  return { ...real, verifyClientSecret: vi.fn(real.verifyClientSecret) };
});

/**
 * Failure throttling of client authentication, over a real socket on 127.0.0.1: the peer
 * address is the socket's, and X-Forwarded-For counts only from a configured trusted proxy.
 */
interface Running {
  s: TestService;
  url: string;
  /** POST /token with HTTP Basic, from `forwardedFor` when given (an X-Forwarded-For header). */
  token(id: string, secret: string, forwardedFor?: string, audience?: string): Promise<Response>;
  /** The newest audit row of this event. */
  last(event: string): AuditRow;
}
const running: Array<{ s: TestService; server: Server }> = [];
afterEach(async () => {
  for (const { s, server } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    s.stop();
  }
  vi.mocked(secretHash.verifyClientSecret).mockClear();
});

async function start(server: Record<string, unknown>): Promise<Running> {
  const s = await startTestService({ overrides: { server } });
  const http = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => http.once('listening', resolve));
  running.push({ s, server: http });
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    s,
    url,
    last: (event) => s.auditRows().filter((row) => row.event === event).at(-1)!,
    token: (id, secret, forwardedFor, audience = AUD.sis) =>
      fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          authorization: basic(id, secret),
          'content-type': 'application/x-www-form-urlencoded',
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', audience }).toString(),
      }),
  };
}

const ATTACKER = '198.51.100.7';
const LEGIT = '203.0.113.9';
const THROTTLED = { error: 'temporarily_unavailable', error_description: 'too many failed client authentications; retry later' };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('failure throttling of client authentication', () => {
  it('blocks a client id after too many failures: 429 + Retry-After, one audit row for the block, a metric', async () => {
    const r = await start({ trusted_proxies: ['127.0.0.1'], throttle: { client_failures: 3, block_seconds: 45 } });
    for (let i = 0; i < 4; i++) {
      const res = await r.token('alpha', 'wrong', ATTACKER);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(INVALID_CLIENT);
    }
    const blockRow = r.last('client.throttle');
    expect(blockRow).toMatchObject({
      event: 'client.throttle',
      outcome: 'refused',
      clientId: 'alpha',
      reason: 'too many failed client authentications from this client id',
    });
    expect(JSON.parse(blockRow.data!)).toEqual({ limit: 'client', source: ATTACKER, block_seconds: 45 });
    // The request whose failure started the block has its own refusal row too.
    expect(r.s.lastAudit()).toMatchObject({ event: 'token.issue', outcome: 'refused', reason: 'wrong client secret', requestId: blockRow.requestId });

    vi.mocked(secretHash.verifyClientSecret).mockClear();
    const res = await r.token('alpha', 'wrong-again', ATTACKER);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(45);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(THROTTLED);
    // Refused before the secret check: no scrypt ran, and no row per throttled request.
    expect(secretHash.verifyClientSecret).not.toHaveBeenCalled();
    expect(r.s.lastAudit().id).toBe(blockRow.id + 1);
    expect(await metric(r.url, 'campus_sts_client_auth_throttled_total{limit="client"}')).toBe(1);
    expect(await metric(r.url, 'campus_sts_audit_rows_total{event="client.throttle",outcome="refused"}')).toBe(1);
  });

  it('keeps serving the legitimate client of a blocked id (its verified secret costs no scrypt); successes use no budget', async () => {
    const r = await start({ trusted_proxies: ['127.0.0.1'], throttle: { client_failures: 2 } });
    for (let i = 0; i < 5; i++) expect((await r.token('alpha', SECRETS.alpha, LEGIT)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await r.token('alpha', 'guess-' + i, ATTACKER)).status).toBe(401);
    expect((await r.token('alpha', 'guess-3', ATTACKER)).status).toBe(429);
    // During the attack: the right secret is served, from the legitimate address and from the attacker's alike
    // (it proves the secret), while every guess is refused.
    expect((await r.token('alpha', SECRETS.alpha, LEGIT)).status).toBe(200);
    expect((await r.token('alpha', 'guess-4', LEGIT)).status).toBe(429);
    // Other clients are not affected.
    expect((await r.token('delta', SECRETS.beta, LEGIT, AUD.other)).status).toBe(200);
  });

  it('blocks an address that fails across many client ids, known or not; other addresses are served', async () => {
    const r = await start({ trusted_proxies: ['127.0.0.1'], throttle: { source_failures: 3 } });
    for (const id of ['nobody-1', 'nobody-2', 'alpha', 'nobody-3']) expect((await r.token(id, 'x', ATTACKER)).status).toBe(401);
    const row = r.last('client.throttle');
    expect(row).toMatchObject({ outcome: 'refused', clientId: null, reason: 'too many failed client authentications from this address' });
    expect(JSON.parse(row.data!)).toEqual({ limit: 'source', source: ATTACKER, block_seconds: 60 });
    // A blocked address gets nothing, not even the cheap check of an already verified secret.
    const blocked = await r.token('nobody-4', 'x', ATTACKER);
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toEqual(THROTTLED);
    expect((await r.token('alpha', SECRETS.alpha, LEGIT)).status).toBe(200);
    expect((await r.token('alpha', SECRETS.alpha, ATTACKER)).status).toBe(429);
    expect(await metric(r.url, 'campus_sts_client_auth_throttled_total{limit="source"}')).toBe(2);
  });

  it('an unknown client id costs the same scrypt as a known one (checked against the dummy hash), and is throttled alike', async () => {
    const r = await start({ throttle: { client_failures: 1 } });
    expect((await r.token('nobody', 'x')).status).toBe(401);
    expect((await r.token('alpha', 'x')).status).toBe(401);
    // beta is configured for client_secret_post: Basic with its id is refused after the same work.
    expect((await r.token('beta', 'x')).status).toBe(401);
    const calls = vi.mocked(secretHash.verifyClientSecret).mock.calls;
    expect(calls.map(([secret]) => secret)).toEqual(['x', 'x', 'x']);
    expect(calls[0]![1]).toBe(secretHash.DUMMY_SECRET_HASH);
    expect(calls[2]![1]).toBe(secretHash.DUMMY_SECRET_HASH);
    const alphaHash = calls[1]![1];
    expect(alphaHash).not.toBe(secretHash.DUMMY_SECRET_HASH);
    const cost = ({ N, r: blocks, p, hash }: secretHash.ParsedHash) => ({ N, r: blocks, p, length: hash.length });
    expect(cost(secretHash.DUMMY_SECRET_HASH)).toEqual(cost(alphaHash));
    // The second failure of each id blocks it, known or unknown: the 429 says nothing about existence either.
    expect((await r.token('nobody', 'x')).status).toBe(401);
    expect((await r.token('alpha', 'x')).status).toBe(401);
    expect((await r.token('nobody', 'x')).status).toBe(429);
    expect((await r.token('alpha', 'x')).status).toBe(429);
  });
});

describe('the cap on concurrent secret checks', () => {
  it('answers 503 + Retry-After at once past the slots and their queue; a verified secret never waits for scrypt', async () => {
    const r = await start({ throttle: { max_secret_checks: 1, secret_check_queue: 0 }, admission: { retry_after_seconds: 4 } });
    expect((await r.token('alpha', SECRETS.alpha)).status).toBe(200);
    // Hold the next scrypt check in its slot until released (then it runs for real).
    const spy = vi.mocked(secretHash.verifyClientSecret);
    const real = spy.getMockImplementation()!;
    let reached!: () => void;
    let release!: () => void;
    const inCheck = new Promise<void>((resolve) => (reached = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    spy.mockImplementationOnce(async (...args) => {
      reached();
      await held;
      return real(...args);
    });
    const first = r.token('beta-guess', 'x');
    await inCheck;

    const busy = await r.token('nobody', 'x');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('4');
    expect(await busy.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the service is busy; retry later' });
    expect((await r.token('alpha', SECRETS.alpha)).status).toBe(200);

    release();
    expect((await first).status).toBe(401);
    expect(await metric(r.url, 'campus_sts_requests_shed_total{reason="secret_check_full"}')).toBe(1);
    // Load is not a decision about the request: no audit row for the 503.
    expect(r.s.auditRows().filter((row) => row.clientId === 'nobody')).toEqual([]);
  });
});

describe('the source address behind a reverse proxy', () => {
  /** The address the throttle counted: the `source` of the block row after two failures (source_failures: 1). */
  async function countedAs(r: Running, forwardedFor: string | undefined, id = 'nobody'): Promise<string> {
    for (let i = 0; i < 2; i++) expect((await r.token(id, 'x', forwardedFor)).status).toBe(401);
    const row = r.last('client.throttle');
    expect(row.data).toContain('"limit":"source"');
    return (JSON.parse(row.data!) as { source: string }).source;
  }

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const r = await start({ throttle: { source_failures: 1 } });
    expect(await countedAs(r, '192.0.2.1')).toBe('127.0.0.1');
  });

  it('takes the right-most hop that is not a trusted proxy when the peer is one', async () => {
    const r = await start({ trusted_proxies: ['127.0.0.0/8', '10.0.0.0/8'], throttle: { source_failures: 1 } });
    // 203.0.113.5 was written by the client itself (anyone can send the header): it is not believed.
    expect(await countedAs(r, '203.0.113.5, 192.0.2.1, 10.1.2.3')).toBe('192.0.2.1');
  });

  it('reads hops with ports, stops at one that is not an address, and takes the left-most when all are trusted', async () => {
    const r = await start({ trusted_proxies: ['127.0.0.1', '10.0.0.0/8'], throttle: { source_failures: 1 } });
    expect(await countedAs(r, '[2001:DB8::1]:443, 10.0.0.6:8080', 'a')).toBe('2001:db8::1');
    expect(await countedAs(r, '192.0.2.9, not-an-address, 10.0.0.7', 'b')).toBe('10.0.0.7');
    expect(await countedAs(r, '10.0.0.8, 10.0.0.9', 'c')).toBe('10.0.0.8');
  });

  it('refuses a trusted_proxies entry that is not an address or CIDR block, naming the path', async () => {
    await expect(startTestService({ overrides: { server: { trusted_proxies: ['10.0.0.0/33'] } } })).rejects.toThrow(
      /server\.trusted_proxies\[0\]: expected an IP address or a CIDR block like 10\.0\.0\.0\/8/,
    );
  });
});
