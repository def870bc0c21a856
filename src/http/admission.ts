import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { createBulkhead } from '../core/bulkhead.js';
import { timeOrderedId } from '../core/ids.js';
import { serviceBusy } from '../core/oauth-errors.js';
import type { AppEnv } from './env.js';
import { NO_STORE, oauthErrorParts } from './errors.js';
import { PAGE_CSP, renderNotice } from './pages.js';

export interface AdmissionSettings {
  /** Requests running at once; more wait in the queue. */
  maxInFlight: number;
  /** Requests waiting at once; more are turned away at once. */
  maxQueue: number;
  /** Longest a request waits for its turn before it is turned away. */
  queueDeadlineMs: number;
  retryAfterSeconds: number;
}

/**
 * Bounded admission, one middleware for every route: at most `maxInFlight` requests run, at most `maxQueue`
 * wait (first come, first served) and none waits past `queueDeadlineMs`. The rest are answered at once with
 * 503 + Retry-After (RFC 9110 §15.6.4): a saturated service says "later" in a millisecond instead of letting
 * everyone's latency grow until clients time out and retry on top. A browser (one that asks for HTML) gets a
 * page that reloads itself after Retry-After; an API client gets RFC 6749 JSON. `exempt` paths (health,
 * readiness, metrics) are never queued or shed: a load balancer must still see the instance. A `priority`
 * request (the IdP's answer at the ACS: the respondent has already signed in, and a reload cannot resend it)
 * waits ahead of new ones and, when the line is full, takes the newest new one's place.
 */
// long: closure scope: the bulkhead and prebuilt 503 answers are shared by the middleware and the early refusal.
export function createAdmission(
  settings: AdmissionSettings,
  opts: {
    exempt: string[];
    /** Requests that finish work already under way (a sign-in the IdP has answered): they wait ahead of new ones. */
    priority(method: string, path: string): boolean;
    shed(reason: 'queue_full' | 'queue_deadline'): void;
  },
): { middleware: MiddlewareHandler<AppEnv>; early: EarlyRefusal; state(): { inFlight: number; queued: number } } {
  const exempt = new Set(opts.exempt);
  // Built once, not per shed request: capturing an Error's stack is a sizeable share of a 503's cost, and these
  // carry nothing of the request.
  const busy = { queue_full: serviceBusy(settings.retryAfterSeconds, 'shed: queue_full'), queue_deadline: serviceBusy(settings.retryAfterSeconds, 'shed: queue_deadline') };
  const gate = createBulkhead({ slots: settings.maxInFlight, maxWaiting: settings.maxQueue, deadlineMs: settings.queueDeadlineMs });
  const full = oauthErrorParts(busy.queue_full);
  const fullBody = JSON.stringify(full.body);
  const fullJson = { ...full.headers, 'Content-Type': JSON_TYPE, 'Content-Length': String(Buffer.byteLength(fullBody)) };

  const middleware: MiddlewareHandler<AppEnv> = async function admit(c, next) {
    if (exempt.has(c.req.path)) return next();
    const entry = await gate.enter(opts.priority(c.req.method, c.req.path));
    if (entry !== 'admitted') return shed(c, entry === 'full' ? 'queue_full' : 'queue_deadline');
    try {
      await next();
    } finally {
      gate.leave();
    }
  };
  const state = () => {
    const { active, waiting } = gate.state();
    return { inFlight: active, queued: waiting };
  };

  /**
   * The middleware's 'full' answer, written before Hono builds a Request, runs the middleware chain or reads the
   * body (under overload most arrivals are refused, and that machinery was most of a refusal's cost). Only for
   * what the middleware would certainly refuse: the line is full, the target is one whose path is plain (else
   * Hono's reading of it decides, e.g. `/%68ealthz` is `/healthz`), and it is neither exempt nor priority (a
   * priority request takes a newer one's place). An unread body is drained by Node, as after any answer.
   */
  const early: EarlyRefusal = (req, res) => {
    if (!gate.full()) return false;
    const path = plainPath(req);
    const method = req.method ?? 'GET';
    if (path === undefined || exempt.has(path) || opts.priority(method, path)) return false;
    opts.shed('queue_full');
    // Our own id, as on every answer (`requestIds`): the busy page shows it, and it dates the refusal.
    const requestId = timeOrderedId();
    if (!wantsHtml(req.headers.accept)) res.writeHead(503, { ...fullJson, 'X-Request-Id': requestId }).end(fullBody);
    else {
      const page = busyPage(method, requestId);
      res.writeHead(503, { ...page.headers, 'Content-Type': HTML_TYPE, 'Content-Length': String(Buffer.byteLength(page.body)), 'X-Request-Id': requestId }).end(page.body);
    }
    return true;
  };
  return { middleware, early, state };

  function shed(c: Context<AppEnv>, reason: 'queue_full' | 'queue_deadline'): Response | Promise<Response> {
    opts.shed(reason);
    if (!wantsHtml(c.req.header('accept'))) throw busy[reason];
    const page = busyPage(c.req.method, c.get('requestId'));
    return c.html(page.body, 503, page.headers);
  }

  function busyPage(method: string, requestId: string): { body: string; headers: Record<string, string> } {
    const seconds = settings.retryAfterSeconds;
    // A reload repeats the request: fine for a GET (a launch link), not for a POST (a sign-in response would
    // come back as a GET and be lost), which gets the page without the reload.
    const reloads = method === 'GET' || method === 'HEAD';
    // Every value is a string, so the template is rendered at once (no Promise); String() unboxes it for `res.end`.
    const body = String(renderNotice({
      title: 'The sign-in service is busy',
      message: reloads ? `Many people are signing in right now. This page tries again by itself in ${seconds} seconds.` : 'Many people are signing in right now, and your sign-in could not be completed.',
      whatToDo: reloads ? `Keep this page open; it retries in ${seconds} seconds.` : `Wait ${seconds} seconds, then open the survey link you were given again.`,
      correlationId: requestId,
      ...(reloads ? { refreshSeconds: seconds } : {}),
    }));
    // Mounted before the security-headers middleware (to stay cheap): the headers a page needs are set here.
    return { body, headers: { ...NO_STORE, 'Retry-After': String(seconds), 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff' } };
  }
}

/** Answers the request and says true, or leaves it alone (false) for the app. */
export type EarlyRefusal = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The content types Hono's `c.json` and `c.html` set, for the same answers written without Hono. */
const JSON_TYPE = 'application/json';
const HTML_TYPE = 'text/html; charset=UTF-8';

/** A browser navigating asks for HTML first; API clients send JSON, `*` or nothing. */
function wantsHtml(accept: string | undefined): boolean {
  return /\btext\/html\b/i.test(accept ?? '');
}

// @hono/node-server's own test for a target it takes as is (no URL parsing), and dot segments, which it resolves.
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;
const PLAIN_HOST = /^[a-z0-9._-]+(?::\d{1,5})?$/;

/**
 * The path Hono will see (`c.req.path`), when it is certain without parsing: an origin-form target without
 * percent-encoding (Hono decodes it) or dot segments (the URL parser resolves them), and a plain Host (or none).
 */
function plainPath(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const host = req.headers.host;
  if (!PLAIN_TARGET.test(url) || url.includes('%') || DOT_SEGMENT.test(url) || (host !== undefined && !PLAIN_HOST.test(host))) return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
