import { request, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/http/pages.js';
import { AUD, basic, SECRETS, startTestService, type TestService } from '../helpers/service.js';
import { onTheWire, type OnTheWire } from '../helpers/wire.js';

/**
 * Overload shedding, over a real socket: with every slot taken, a request is answered at once
 * with 503 + Retry-After (JSON for an API client, a self-reloading page for a browser) instead of waiting
 * without bound; health, readiness and metrics are always answered. A slot is held by a /token request whose
 * body has not all arrived yet (admitted, reading its body).
 */
const running: Array<{ s: TestService; server: Server }> = [];
const wires: OnTheWire[] = [];
afterEach(async () => {
  for (const wire of wires.splice(0)) await wire.close();
  for (const { s, server } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    s.stop();
  }
});

async function start(admission: Record<string, unknown>) {
  const s = await startTestService({ overrides: { server: { admission } } });
  const server = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  running.push({ s, server });
  const port = (server.address() as AddressInfo).port;
  return { s, port, url: `http://127.0.0.1:${port}` };
}

const FORM = new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString();
const tokenHeaders = { authorization: basic('alpha', SECRETS.alpha), 'content-type': 'application/x-www-form-urlencoded' };
const BUSY = { error: 'temporarily_unavailable', error_description: 'the service is busy; retry later' };

/** A /token request that sends half its body and waits; `finish()` sends the rest and reads the answer. */
function held(port: number): { finish(): Promise<number> } {
  let req: ClientRequest;
  const answered = new Promise<number>((resolve, reject) => {
    req = request({ host: '127.0.0.1', port, path: '/token', method: 'POST', headers: { ...tokenHeaders, 'content-length': Buffer.byteLength(FORM) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.write(FORM.slice(0, 10));
  });
  return {
    finish() {
      req.end(FORM.slice(10));
      return answered;
    },
  };
}

async function gauge(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits (by asking /metrics, which is never shed) until the admission state is as expected. */
async function until(url: string, series: string, value: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await gauge(url, series)) === value) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${series} never reached ${value}`);
}

const postToken = (url: string) => fetch(`${url}/token`, { method: 'POST', headers: tokenHeaders, body: FORM });

describe('admission control', () => {
  it('answers at once with 503 + Retry-After when every slot is taken, and serves again once one frees', async () => {
    const { s, port, url } = await start({ max_in_flight: 1, max_queue: 0, retry_after_seconds: 3 });
    const first = held(port);
    await until(url, 'campus_sts_requests_in_flight', 1);
    const rowsBefore = s.auditRows().length;

    const res = await postToken(url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(BUSY);

    // Health, readiness and metrics are never shed: a load balancer still sees the instance.
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(url + path)).status).toBe(200);

    expect(await first.finish()).toBe(200);
    expect((await postToken(url)).status).toBe(200);
    // The shed request left no audit row (it was never looked at); the two tokens did.
    expect(s.auditRows().slice(rowsBefore).map((r) => [r.event, r.outcome])).toEqual([
      ['token.issue', 'success'],
      ['token.issue', 'success'],
    ]);
    expect(await gauge(url, 'campus_sts_requests_shed_total{reason="queue_full"}')).toBe(1);
    expect(await gauge(url, 'campus_sts_requests_in_flight')).toBe(0);
  });

  it('gives a browser on /launch a busy page that reloads itself (meta refresh, no script, under the page CSP)', async () => {
    const { port, url } = await start({ max_in_flight: 1, max_queue: 0, retry_after_seconds: 5 });
    const first = held(port);
    await until(url, 'campus_sts_requests_in_flight', 1);

    const res = await fetch(`${url}/launch/course-eval`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    const page = await res.text();
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(page).toContain('<h1>The sign-in service is busy</h1>');
    expect(page).toContain('This page tries again by itself in 5 seconds.');
    expect(page).not.toMatch(/<script/i);

    // A POST (the IdP's answer at the ACS) would come back as a GET after a reload: that page does not reload.
    const acs = await fetch(`${url}/saml/acs`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=x' });
    expect(acs.status).toBe(503);
    expect(acs.headers.get('retry-after')).toBe('5');
    const acsPage = await acs.text();
    expect(acsPage).not.toContain('http-equiv="refresh"');
    expect(acsPage).toContain('Wait 5 seconds, then open the survey link you were given again.');
    expect(await first.finish()).toBe(200);
  });

  it('queues up to max_queue, sheds past it, and never lets a request wait past the deadline', async () => {
    const { port, url } = await start({ max_in_flight: 1, max_queue: 1, queue_deadline_ms: 30_000 });
    const first = held(port);
    await until(url, 'campus_sts_requests_in_flight', 1);
    const queued = postToken(url);
    await until(url, 'campus_sts_requests_queued', 1);
    expect((await postToken(url)).status).toBe(503);
    expect(await first.finish()).toBe(200);
    expect((await queued).status).toBe(200);

    const short = await start({ max_in_flight: 1, max_queue: 1, queue_deadline_ms: 50 });
    const holder = held(short.port);
    await until(short.url, 'campus_sts_requests_in_flight', 1);
    const late = await postToken(short.url);
    expect(late.status).toBe(503);
    expect(await late.json()).toEqual(BUSY);
    expect(await gauge(short.url, 'campus_sts_requests_shed_total{reason="queue_deadline"}')).toBe(1);
    expect(await gauge(short.url, 'campus_sts_requests_queued')).toBe(0);
    expect(await holder.finish()).toBe(200);
  });

  it('lets a sign-in the IdP has answered (POST /saml/acs) wait ahead of new requests, taking the newest one\'s place when the line is full', async () => {
    const { port, url } = await start({ max_in_flight: 1, max_queue: 1, queue_deadline_ms: 30_000 });
    const first = held(port);
    await until(url, 'campus_sts_requests_in_flight', 1);
    const waiting = postToken(url);
    await until(url, 'campus_sts_requests_queued', 1);
    const acs = fetch(`${url}/saml/acs`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=x' });
    const displaced = await waiting;
    expect(displaced.status).toBe(503);
    expect(await displaced.json()).toEqual(BUSY);
    // The line is full with the ACS request: a new one is shed at once.
    expect((await postToken(url)).status).toBe(503);
    expect(await first.finish()).toBe(200);
    // Admitted and routed (this test service has no SAML configured, hence the router's own 404).
    const answered = await acs;
    expect(answered.status).toBe(404);
    expect(await answered.json()).toEqual({ error: 'invalid_request', error_description: 'no such endpoint' });
    expect(await gauge(url, 'campus_sts_requests_shed_total{reason="queue_full"}')).toBe(2);
  });

  it('refuses before the app while the line is full, with exactly the middleware\'s answer; exempt paths, odd targets and the ACS still reach the app', async () => {
    const s = await startTestService({ overrides: { server: { admission: { max_in_flight: 1, max_queue: 1, queue_deadline_ms: 30_000, retry_after_seconds: 3 } } } });
    // One service behind two production listeners (http/listen.ts): with the early refusal, noting what reaches
    // the app, and without it (the middleware alone). They share the service's one admission line.
    let reached: string[] = [];
    const withEarly = await onTheWire({ app: { fetch: (req) => (reached.push(new URL(req.url).pathname), s.app.fetch(req)) }, config: s.config, shedEarly: s.shedEarly });
    wires.push(withEarly);
    const without = await onTheWire(s);
    running.push({ s, server: without.server });
    const [early, plain, port] = [`http://127.0.0.1:${withEarly.port}`, `http://127.0.0.1:${without.port}`, without.port];
    const first = held(port);
    await until(plain, 'campus_sts_requests_in_flight', 1);
    const queued = postToken(plain);
    await until(plain, 'campus_sts_requests_queued', 1);
    reached = [];

    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const asks: Array<[string, RequestInit]> = [
      ['/token', { method: 'POST', headers: tokenHeaders, body: FORM }],
      ['/launch/course-eval?from=mail', { headers: browser }],
      // A browser's POST gets the page without the reload.
      ['/token', { method: 'POST', headers: { ...tokenHeaders, ...browser }, body: FORM }],
    ];
    const seen = async (res: Response) => {
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const headers = Object.fromEntries([...(res.headers as unknown as Iterable<[string, string]>)].filter(([name]) => name !== 'date' && name !== 'x-request-id'));
      return { status: res.status, headers, body: (await res.text()).replaceAll(id, '{id}') };
    };
    for (const [path, init] of asks) {
      const before = await seen(await fetch(early + path, init));
      const middleware = await seen(await fetch(plain + path, init));
      expect(before).toEqual(middleware);
      expect(before.status).toBe(503);
      expect(before.headers['retry-after']).toBe('3');
    }
    expect(reached).toEqual([]);
    const json = await fetch(early + '/token', asks[0]![1]);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual(BUSY);

    // Never refused early: health, readiness, metrics; a target Hono reads differently from its bytes (it decodes
    // /%74oken to /token, so the middleware refuses it); and the IdP's answer at the ACS, which takes the
    // queued request's place.
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(early + path)).status).toBe(200);
    const encoded = await fetch(early + '/%74oken', asks[0]![1]);
    expect(encoded.status).toBe(503);
    expect(await encoded.json()).toEqual(BUSY);
    const acs = fetch(`${early}/saml/acs`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=x' });
    expect((await queued).status).toBe(503);
    expect(await first.finish()).toBe(200);
    expect((await acs).status).toBe(404);
    expect(reached).toEqual(['/healthz', '/readyz', '/metrics', '/%74oken', '/saml/acs']);
    // One count for every refusal, early or not: 4 early, 3 by the middleware, /%74oken, and the displaced one.
    expect(await gauge(plain, 'campus_sts_requests_shed_total{reason="queue_full"}')).toBe(9);
  });
});
