import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { bounded } from '../core/bounded.js';
import { MethodNotAllowed, NotFound } from '../core/oauth-errors.js';
import { accessLog } from '../http/access-log.js';
import { allowedMethods } from '../http/allowed-methods.js';
import type { AppEnv } from '../http/env.js';
import { toErrorResponse } from '../http/errors.js';
import { requestIds } from '../http/request-id.js';
import { discoveryRoutes, type DiscoveryDeps } from '../oauth/discovery.js';
import { faviconRoutes } from '../ops/favicon.js';
import { healthRoutes, type HealthDeps } from '../ops/health.js';
import { oauthRoutes, type OAuthRoutesDeps } from '../oauth/routes.js';

export interface AppDeps {
  logger: Logger;
  oauth: OAuthRoutesDeps;
  discovery: DiscoveryDeps;
  health: HealthDeps;
  /** Feature routers (SAML, launch, upstream proxy, …), mounted at the root after the OAuth endpoints. */
  features: Hono<AppEnv>[];
  /** Request metrics middleware and GET /metrics (optional: tests of the bare app may leave it out). */
  ops?: { http: MiddlewareHandler<AppEnv>; routes: Hono<AppEnv> };
  /** Bounded admission (http/admission.ts): sheds load early with 503 + Retry-After instead of queueing without bound. */
  admission?: MiddlewareHandler<AppEnv>;
}

/** The HTTP surface: middleware that applies to every route, the routes, and the one error mapping. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestIds());
  // Right after the request id: a shed request costs as little as possible (no access-log line, no per-route
  // metrics; campus_sts_requests_shed_total counts it), since under overload most requests are shed ones.
  if (deps.admission) app.use(deps.admission);
  app.use(accessLog(deps.logger));
  if (deps.ops) app.use(deps.ops.http);
  app.use(secureHeaders({ crossOriginResourcePolicy: 'same-origin', referrerPolicy: 'no-referrer' }));
  app.route('/', discoveryRoutes(deps.discovery));
  app.route('/', oauthRoutes(deps.oauth));
  app.route('/', healthRoutes(deps.health));
  app.route('/', faviconRoutes());
  if (deps.ops) app.route('/', deps.ops.routes);
  for (const feature of deps.features) app.route('/', feature);
  const allowed = allowedMethods(app);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    const what = `${bounded(c.req.method, 16)} ${bounded(c.req.path, 256)}`;
    return toErrorResponse(allow.length > 0 ? new MethodNotAllowed('the method is not allowed for this endpoint', what, { allow }) : new NotFound('no such endpoint', what), c, deps.logger);
  });
  app.onError((err, c) => toErrorResponse(err, c, deps.logger));
  return app;
}
