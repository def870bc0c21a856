import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditObserver } from '../audit/audit-log.js';
import { AUDIT_EVENT_NAMES } from '../audit/query.js';
import { GRANT_TYPES } from '../core/constants.js';
import type { AppEnv } from '../http/env.js';

/**
 * Prometheus metrics of one service instance, in its own registry (never prom-client's global one: two
 * services in one process, as in tests, must not share counters). Label values are always from closed sets
 * (route templates, known grant types, refusal reasons): a client cannot grow the label space.
 */

/** What the upstream proxy reports (the upstream module calls these; ids come from the config). */
export interface UpstreamMetrics {
  /** One proxied call: which upstream, the status answered (or 'timeout' / 'error'), how long it took. */
  observeCall(labels: { upstream: string; status: number | 'timeout' | 'error' }, seconds: number): void;
  /** One refresh of an upstream token: refreshed, or failed. */
  countRefresh(labels: { upstream: string; outcome: 'success' | 'error' }): void;
}

/** Admission (queue full, waited too long), or the scrypt checks' own queue (the same two). */
export type ShedReason = 'queue_full' | 'queue_deadline' | 'secret_check_full' | 'secret_check_deadline';

/** Requests turned away for load: by the failure throttle (which key), or by admission (why). */
export interface TrafficMetrics {
  throttled(limit: 'client' | 'source'): void;
  shed(reason: ShedReason): void;
  /** Where the in-flight and queued gauges read from at each scrape (the admission middleware's state). */
  watch(admission: () => { inFlight: number; queued: number }): void;
}

export interface ServiceMetrics {
  registry: Registry;
  /** App-wide middleware: requests by route template, method and status, and their duration. */
  http: MiddlewareHandler<AppEnv>;
  /** Counts decisions as the audit log records them, and times audit writes. */
  audit: AuditObserver;
  upstream: UpstreamMetrics;
  traffic: TrafficMetrics;
}

const KNOWN_GRANTS = new Set<string>(Object.values(GRANT_TYPES));
const KNOWN_EVENTS = new Set(AUDIT_EVENT_NAMES);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** The closed refusal code in a refused `saml.login` row's reason (the SAML engine's, handed in by compose/). */
  samlRefusalReason(reason: string | undefined): string | undefined;
}

// long: mostly the list of metric declarations, then the short recorders that feed them.
export function createMetrics(opts: MetricsOptions): ServiceMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'campus_sts_' });
  const registers = [registry];

  const requests = new Counter({ name: 'campus_sts_http_requests_total', help: 'HTTP requests by route template, method and status.', labelNames: ['route', 'method', 'status'], registers });
  const duration = new Histogram({
    name: 'campus_sts_http_request_duration_seconds',
    help: 'HTTP request duration by route template and method.',
    labelNames: ['route', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const auditRows = new Counter({ name: 'campus_sts_audit_rows_total', help: 'Audit rows written, by event and outcome.', labelNames: ['event', 'outcome'], registers });
  const auditWrite = new Histogram({
    name: 'campus_sts_audit_write_seconds',
    help: 'Time to validate, hash and insert one audit row (inside its transaction).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers,
  });
  const exchanges = new Counter({ name: 'campus_sts_token_requests_total', help: 'Token endpoint decisions by grant type and outcome.', labelNames: ['grant_type', 'outcome'], registers });
  const launches = new Counter({ name: 'campus_sts_launch_events_total', help: 'Survey launch decisions (issue, redeem) by outcome.', labelNames: ['event', 'outcome'], registers });
  const samlRefusals = new Counter({ name: 'campus_sts_saml_refusals_total', help: 'Refused SAML responses by reason.', labelNames: ['reason'], registers });
  const upstreamLatency = new Histogram({
    name: 'campus_sts_upstream_request_duration_seconds',
    help: 'Proxied upstream calls by upstream and status.',
    labelNames: ['upstream', 'status'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const refreshes = new Counter({ name: 'campus_sts_upstream_refreshes_total', help: 'Upstream token refreshes by upstream and outcome.', labelNames: ['upstream', 'outcome'], registers });

  const throttled = new Counter({ name: 'campus_sts_client_auth_throttled_total', help: 'Client authentications refused with 429 because the client id or the address is blocked.', labelNames: ['limit'], registers });
  let admission = () => ({ inFlight: 0, queued: 0 });
  new Gauge({ name: 'campus_sts_requests_in_flight', help: 'Requests admitted and running (health, readiness and metrics not counted).', registers, collect() { this.set(admission().inFlight); } });
  new Gauge({ name: 'campus_sts_requests_queued', help: 'Requests waiting for admission.', registers, collect() { this.set(admission().queued); } });
  const shed = new Counter({ name: 'campus_sts_requests_shed_total', help: 'Requests answered 503 for load: admission or secret-check queue full, or waited past its deadline.', labelNames: ['reason'], registers });

  return {
    registry,
    http: async function httpMetrics(c, next) {
      const started = performance.now();
      await next();
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const route = routeLabel(c);
      requests.inc({ route, method, status: String(c.res.status) });
      duration.observe({ route, method }, (performance.now() - started) / 1000);
    },
    audit: {
      appended(e, seconds) {
        auditWrite.observe(seconds);
        auditRows.inc({ event: KNOWN_EVENTS.has(e.event) ? e.event : 'other', outcome: e.outcome });
        const data = (e.data ?? {}) as { grant_type?: unknown };
        if (e.event === 'token.issue') {
          const grant = typeof data.grant_type === 'string' && KNOWN_GRANTS.has(data.grant_type) ? data.grant_type : 'other';
          exchanges.inc({ grant_type: grant, outcome: e.outcome });
        } else if (e.event === 'launch.issue' || e.event === 'launch.redeem') {
          launches.inc({ event: e.event, outcome: e.outcome });
        } else if (e.event === 'saml.login' && e.outcome === 'refused') {
          samlRefusals.inc({ reason: opts.samlRefusalReason(e.reason) ?? 'other' });
        }
      },
    },
    upstream: {
      observeCall: ({ upstream, status }, seconds) => upstreamLatency.observe({ upstream, status: String(status) }, seconds),
      countRefresh: ({ upstream, outcome }) => refreshes.inc({ upstream, outcome }),
    },
    traffic: {
      throttled: (limit) => throttled.inc({ limit }),
      shed: (reason) => shed.inc({ reason }),
      watch: (state) => void (admission = state),
    },
  };
}

/** The matched route template (`/launch/:survey`), never the raw path; `unmatched` for 404s of no route. */
function routeLabel(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  try {
    // Without the parameters' patterns (`/launch/:survey{…}` is counted as `/launch/:survey`).
    const path = routePath(c).replace(/\{[^}]*\}/g, '');
    return path === '*' || path === '/*' ? 'unmatched' : path;
  } catch {
    return 'unmatched';
  }
}

/** GET /metrics (Prometheus text format). */
export function metricsRoutes(metrics: ServiceMetrics): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }),
  );
}
