// attack and overload (issue 10): not timed tests, measurements. `attack` runs a wrong-secret attacker at full
// speed next to a legitimate client and reports the legitimate client's latency; `overload` offers 3x the
// measured capacity to /token and to the survey launch and reports goodput and the longest wait.
import autocannon, { type Request } from 'autocannon';
import { pinServerAndLoad, type Pinning } from '../harness/affinity.js';
import { startServerChild, type ServerChild } from '../harness/children.js';
import type { HttpRequest } from '../harness/load.js';
import type { SamlWorld } from '../saml/world.js';
import { stsOptions } from '../scenarios/tokens.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { AUD, basicAuth, CLIENT, GRANT, SAML } from '../servers/shared.js';

export interface Drive {
  seconds: number;
  /** Requests sent per second (the load actually offered). */
  sentPerSecond: number;
  byStatus: Record<string, number>;
  /** Answers with the expected status, per second. */
  goodput: number;
  p50OkMs: number;
  p99OkMs: number;
  /**
   * The longest any request waited for its answer, whatever the answer. Latencies count requests sent after the
   * first second: while hundreds of connections open at once, some wait in the kernel's accept queue (listen backlog
   * 511) and their first request only reaches the server after TCP retransmissions, which is the load
   * generator's start, not the server's queue.
   */
  maxMs: number;
  errors: number;
  timeouts: number;
}

export interface AttackRow {
  variant: string;
  legit: Drive;
  attacker?: Drive;
}

export interface OverloadRow {
  target: 'token' | 'launch';
  capacity: Drive;
  /** Offered 3x capacity, with ADMISSION. */
  shedding: Drive;
  /** Offered 3x capacity with admission effectively off (the behaviour before issue 10). */
  unbounded: Drive;
  offeredRate: number;
  connections: number;
}

export interface OverloadResult {
  durationSeconds: number;
  admission: typeof ADMISSION;
  attack?: AttackRow[];
  overload?: OverloadRow[];
  /** Where the overload rows' server and load generator ran (pinned to one core each, or why not). */
  placement?: string;
}

/**
 * Admission for these runs: smaller than the shipped defaults (64 running, 256 waiting, 2 s), so that 600
 * connections (a few hundred more and they overflow the listen backlog while opening) still offer 3x the
 * launch's capacity: a connection waiting in the server sends nothing else.
 */
const ADMISSION = { max_in_flight: 32, max_queue: 96, queue_deadline_ms: 1000, retry_after_seconds: 2 };
const UNBOUNDED = { max_in_flight: 100_000, max_queue: 0, queue_deadline_ms: 2000, retry_after_seconds: 2 };
/** The highest limits the config accepts: failure throttling and the cap on scrypt checks as good as off. */
const THROTTLE_OFF = { client_failures: 10_000, source_failures: 100_000, max_secret_checks: 64, secret_check_queue: 10_000 };
const LEGIT_CONNECTIONS = 2;
const ATTACKER_CONNECTIONS = 20;
/** Enough connections that 3x capacity is really offered while up to max_in_flight + max_queue wait. */
const OVERLOAD_CONNECTIONS = 600;

/** Requests sent before this (connections still opening) do not count for latency. */
const SETTLE_MS = 1000;

const FORM = 'application/x-www-form-urlencoded';
const ccBody = new URLSearchParams({ grant_type: GRANT.clientCredentials, audience: AUD.sis }).toString();
const tokenRequest = (secret: string, from: string, id: string = CLIENT.id): HttpRequest => ({
  method: 'POST',
  path: '/token',
  headers: { authorization: basicAuth(id, secret), 'content-type': FORM, 'x-forwarded-for': from },
  body: ccBody,
});
const LEGIT = tokenRequest(CLIENT.secret, '203.0.113.9');
const LAUNCH: HttpRequest = { method: 'GET', path: `/launch/${SAML.survey}`, headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' } };

export async function runOverloadPhase(ctx: ScenarioContext, world: SamlWorld, o: { attack: boolean; overload: boolean; durationSeconds: number }): Promise<OverloadResult> {
  const result: OverloadResult = { durationSeconds: o.durationSeconds, admission: ADMISSION };
  if (o.attack) result.attack = await attack(ctx, world, o.durationSeconds);
  if (o.overload) {
    // Pinned for every overload row (capacity included): at 3x the generator works 3x as hard, and unpinned it
    // would take that from the server's share of the cores, so goodput / capacity would not compare the server
    // with itself.
    const pinning = pinServerAndLoad(ctx.log);
    try {
      result.placement = pinning.note;
      result.overload = [await overload(ctx, world, pinning, 'token', o.durationSeconds), await overload(ctx, world, pinning, 'launch', o.durationSeconds)];
    } finally {
      pinning.release();
    }
  }
  return result;
}

async function attack(ctx: ScenarioContext, world: SamlWorld, seconds: number): Promise<AttackRow[]> {
  let n = 0;
  // A botnet: every request from a new address, for a new (unknown) client id: no key repeats, nothing to block.
  const distributed = { next: () => ((n += 1), tokenRequest('guess', `100.${64 + (n % 64)}.${(n >> 6) & 255}.${(n >> 14) & 255}`, `nobody-${n}`)) };
  const variants: Array<{ variant: string; throttle: Record<string, number>; attacker?: HttpRequest | { next(): HttpRequest } }> = [
    { variant: 'legitimate client alone', throttle: {} },
    { variant: 'attacker, throttling off (as before issue 10)', throttle: THROTTLE_OFF, attacker: tokenRequest('guess', '198.51.100.7') },
    { variant: 'attacker on the same client id, one address', throttle: {}, attacker: tokenRequest('guess', '198.51.100.7') },
    { variant: 'attacker from a new address and unknown id every request', throttle: {}, attacker: distributed },
  ];
  const rows: AttackRow[] = [];
  for (const v of variants) {
    ctx.log(`attack: ${v.variant}`);
    const child = await sts(ctx, world, 'attack', { trusted_proxies: ['127.0.0.1'], throttle: v.throttle });
    try {
      await expectStatus(child.url, LEGIT, 200);
      const [legit, attacker] = await Promise.all([
        drive({ url: child.url, request: LEGIT, connections: LEGIT_CONNECTIONS, durationSeconds: seconds, expect: 200 }),
        v.attacker ? drive({ url: child.url, request: v.attacker, connections: ATTACKER_CONNECTIONS, durationSeconds: seconds, expect: 401 }) : undefined,
      ]);
      rows.push({ variant: v.variant, legit, ...(attacker ? { attacker } : {}) });
    } finally {
      await child.stop();
    }
  }
  return rows;
}

async function overload(ctx: ScenarioContext, world: SamlWorld, pinning: Pinning, target: 'token' | 'launch', seconds: number): Promise<OverloadRow> {
  const request = target === 'token' ? LEGIT : LAUNCH;
  const expect = target === 'token' ? 200 : 303;
  const measure = async (admission: typeof ADMISSION, plan: { connections: number; overallRate?: number }) => {
    // max_connections above the load generator's: this measures admission, not the connection cap.
    const child = await sts(ctx, world, `overload-${target}`, { trusted_proxies: ['127.0.0.1'], admission, max_connections: 2 * OVERLOAD_CONNECTIONS });
    try {
      pinning.server(child.pid);
      await expectStatus(child.url, request, expect);
      return await drive({ url: child.url, request, expect, durationSeconds: seconds, ...plan });
    } finally {
      await child.stop();
    }
  };
  ctx.log(`overload ${target}: capacity (50 connections, as fast as answered)`);
  const capacity = await measure(ADMISSION, { connections: 50 });
  const offeredRate = Math.round(3 * capacity.goodput);
  ctx.log(`overload ${target}: offering ${offeredRate} req/s (3x) with admission on`);
  const shedding = await measure(ADMISSION, { connections: OVERLOAD_CONNECTIONS, overallRate: offeredRate });
  ctx.log(`overload ${target}: offering ${offeredRate} req/s (3x) without admission`);
  const unbounded = await measure(UNBOUNDED, { connections: OVERLOAD_CONNECTIONS, overallRate: offeredRate });
  return { target, capacity, shedding, unbounded, offeredRate, connections: OVERLOAD_CONNECTIONS };
}

function sts(ctx: ScenarioContext, world: SamlWorld, name: string, server: Record<string, unknown>): Promise<ServerChild> {
  return startServerChild('sts', { ...stsOptions(ctx, world, name, 'normal'), server });
}

async function expectStatus(url: string, req: HttpRequest, status: number): Promise<void> {
  const res = await fetch(url + req.path, { method: req.method, headers: req.headers, body: req.body ?? null, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== status) throw new Error(`probe of ${url}${req.path}: expected ${status}, got ${res.status} ${text.slice(0, 200)}`);
}

/** One autocannon run keeping every answer's time (any status), so the longest wait is exact. */
function drive(plan: { url: string; request: HttpRequest | { next(): HttpRequest }; connections: number; durationSeconds: number; overallRate?: number; expect: number }): Promise<Drive> {
  const ok: number[] = [];
  let maxMs = 0;
  const began = performance.now();
  const request: Request =
    'next' in plan.request
      ? { setupRequest: (req) => ({ ...req, ...(plan.request as { next(): HttpRequest }).next() }) }
      : plan.request;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: plan.url,
        connections: plan.connections,
        pipelining: 1,
        duration: plan.durationSeconds,
        timeout: 30,
        sampleInt: 100,
        requests: [request],
        ...(plan.overallRate ? { overallRate: plan.overallRate } : {}),
      },
      (err, result) => {
        if (err) return reject(err);
        const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
        ok.sort((a, b) => a - b);
        const rank = (p: number) => (ok.length ? ok[Math.min(ok.length - 1, Math.ceil(p * ok.length) - 1)]! : 0);
        resolve({
          seconds: result.duration,
          sentPerSecond: result.requests.sent / result.duration,
          byStatus,
          goodput: (byStatus[String(plan.expect)] ?? 0) / result.duration,
          p50OkMs: rank(0.5),
          p99OkMs: rank(0.99),
          maxMs: Math.max(maxMs, result.timeouts ? 30_000 : 0),
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (performance.now() - ms - began < SETTLE_MS) return;
      if (status === plan.expect) ok.push(ms);
      if (ms > maxMs) maxMs = ms;
    });
  });
}
