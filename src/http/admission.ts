import type { Context, MiddlewareHandler } from 'hono';
import { createBulkhead } from '../core/bulkhead.js';
import { serviceBusy } from '../core/oauth-errors.js';
import type { AppEnv } from './env.js';
import { NO_STORE } from './errors.js';
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
export function createAdmission(
  settings: AdmissionSettings,
  opts: {
    exempt: string[];
    /** Requests that finish work already under way (a sign-in the IdP has answered): they wait ahead of new ones. */
    priority(c: Context<AppEnv>): boolean;
    shed(reason: 'queue_full' | 'queue_deadline'): void;
  },
): { middleware: MiddlewareHandler<AppEnv>; state(): { inFlight: number; queued: number } } {
  const exempt = new Set(opts.exempt);
  // Built once, not per shed request: capturing an Error's stack is a sizeable share of a 503's cost, and these
  // carry nothing of the request.
  const busy = { queue_full: serviceBusy(settings.retryAfterSeconds, 'shed: queue_full'), queue_deadline: serviceBusy(settings.retryAfterSeconds, 'shed: queue_deadline') };
  const gate = createBulkhead({ slots: settings.maxInFlight, maxWaiting: settings.maxQueue, deadlineMs: settings.queueDeadlineMs });

  const middleware: MiddlewareHandler<AppEnv> = async function admit(c, next) {
    if (exempt.has(c.req.path)) return next();
    const entry = await gate.enter(opts.priority(c));
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
  return { middleware, state };

  function shed(c: Context<AppEnv>, reason: 'queue_full' | 'queue_deadline'): Response | Promise<Response> {
    opts.shed(reason);
    const seconds = settings.retryAfterSeconds;
    if (!wantsHtml(c)) throw busy[reason];
    // A reload repeats the request: fine for a GET (a launch link), not for a POST (a sign-in response would
    // come back as a GET and be lost), which gets the page without the reload.
    const reloads = c.req.method === 'GET' || c.req.method === 'HEAD';
    const page = renderNotice({
      title: 'The sign-in service is busy',
      message: reloads ? `Many people are signing in right now. This page tries again by itself in ${seconds} seconds.` : 'Many people are signing in right now, and your sign-in could not be completed.',
      whatToDo: reloads ? `Keep this page open; it retries in ${seconds} seconds.` : `Wait ${seconds} seconds, then open the survey link you were given again.`,
      correlationId: c.get('requestId'),
      ...(reloads ? { refreshSeconds: seconds } : {}),
    });
    // Mounted before the security-headers middleware (to stay cheap): the headers a page needs are set here.
    return c.html(page, 503, { ...NO_STORE, 'Retry-After': String(seconds), 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff' });
  }
}

/** A browser navigating asks for HTML first; API clients send JSON, `*` or nothing. */
function wantsHtml(c: Context<AppEnv>): boolean {
  return /\btext\/html\b/i.test(c.req.header('accept') ?? '');
}
