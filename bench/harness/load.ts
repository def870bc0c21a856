// One autocannon run against one server, reduced to the numbers the report needs. Throughput counts only
// responses with the expected status (a server that answers 400 fast is not fast), and latency percentiles
// are exact (every response time kept, in float ms) rather than autocannon's whole-millisecond histogram.
import autocannon, { type Request } from 'autocannon';

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadPlan {
  url: string;
  /** A fixed request, or a source asked once per request (single-use SAML responses). */
  request: HttpRequest | { next(): HttpRequest };
  expectStatus: number;
  connections: number;
  /** Stop after this long… */
  durationSeconds?: number;
  /** …or after exactly this many requests, whichever comes first. */
  amount?: number;
  /** Keep per-request latencies (default true); the soak's million requests do without. */
  recordLatencies?: boolean;
}

export interface LoadResult {
  seconds: number;
  sent: number;
  /** Responses with the expected status. */
  ok: number;
  /** Other statuses, by code. */
  unexpected: Record<string, number>;
  errors: number;
  timeouts: number;
  /** ok / seconds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Stop takes effect at the next sample, so a short interval keeps every run within 0.1 s of its length. */
const SAMPLE_MS = 100;
/** Beyond its length, how long a run may take before the harness gives up on it. */
const OVERRUN_MS = 60_000;

export function runLoad(plan: LoadPlan): Promise<LoadResult> {
  if (!plan.durationSeconds && !plan.amount) throw new Error('a load plan needs a duration or an amount');
  const latencies = new LatencyLog(plan.recordLatencies ?? true);
  const request: Request = 'next' in plan.request ? { setupRequest: dynamic(plan.request) } : plan.request;
  return new Promise<LoadResult>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const instance = autocannon(
      {
        url: plan.url,
        connections: plan.connections,
        pipelining: 1,
        sampleInt: SAMPLE_MS,
        timeout: 10,
        ...(plan.amount ? { amount: plan.amount } : { duration: plan.durationSeconds }),
        requests: [request],
      },
      (err, result) => {
        timers.forEach(clearTimeout);
        if (err) return reject(err);
        const unexpected: Record<string, number> = {};
        let ok = 0;
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
          if (Number(code) === plan.expectStatus) ok += count;
          else unexpected[code] = count;
        }
        const seconds = result.duration;
        const summary = latencies.summary();
        resolve({
          seconds,
          sent: result.requests.sent,
          ok,
          unexpected,
          errors: result.errors,
          timeouts: result.timeouts,
          rps: seconds > 0 ? ok / seconds : 0,
          // Without our own log (soak), fall back to autocannon's whole-millisecond histogram.
          p50Ms: summary?.p50 ?? result.latency.p50,
          p99Ms: summary?.p99 ?? result.latency.p99,
          meanMs: summary?.mean ?? result.latency.mean,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (Number(status) === plan.expectStatus) latencies.add(ms);
    });
    if (plan.amount && plan.durationSeconds) timers.push(setTimeout(() => instance.stop(), plan.durationSeconds * 1000));
    const limitMs = (plan.durationSeconds ?? 3600) * 1000 + OVERRUN_MS;
    timers.push(
      setTimeout(() => {
        instance.stop();
        reject(new Error(`load run against ${plan.url} did not finish within ${limitMs / 1000} s`));
      }, limitMs),
    );
  });
}

function dynamic(source: { next(): HttpRequest }): NonNullable<Request['setupRequest']> {
  return (req) => {
    const r = source.next();
    return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body ?? '' };
  };
}

/** Response times in float ms, grown in chunks so a long round does not copy a huge array each time. */
class LatencyLog {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(65_536);
  private used = 0;
  constructor(private readonly enabled: boolean) {}

  add(ms: number): void {
    if (!this.enabled) return;
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Float64Array(this.current.length);
      this.used = 0;
    }
    this.current[this.used++] = ms;
  }

  summary(): { p50: number; p99: number; mean: number } | undefined {
    if (!this.enabled) return undefined;
    const all = new Float64Array(this.chunks.length * this.current.length + this.used);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    all.set(this.current.subarray(0, this.used), at);
    if (all.length === 0) return { p50: 0, p99: 0, mean: 0 };
    all.sort();
    const rank = (p: number) => all[Math.min(all.length - 1, Math.ceil(p * all.length) - 1)]!;
    let sum = 0;
    for (const v of all) sum += v;
    return { p50: rank(0.5), p99: rank(0.99), mean: sum / all.length };
  }
}
