import { Hono, type Context } from 'hono';
import { AccessDenied, NotFound } from '../../core/oauth-errors.js';
import type { AppEnv } from '../../http/env.js';
import { readBody } from '../../http/read-body.js';
import type { ProxyCall } from '../proxy.js';
import { bounded, quote } from '../../core/bounded.js';

/** The URL scheme of the proxy: `/upstreams/{upstream id}/{path of a route rule}`. */
export const PROXY_PREFIX = '/upstreams';

export interface ProxyRoutesDeps {
  handle(call: ProxyCall): Promise<Response>;
  /** Per upstream: browser origins allowed over CORS, and the methods its route table allows. */
  cors: ReadonlyMap<string, { origins: ReadonlySet<string>; methods: readonly string[] }>;
}

/**
 * `ANY /upstreams/{id}/…` → the proxy, and CORS for the survey origins configured per upstream (no
 * credentials: the bearer token is the only authority, so there is nothing ambient to protect).
 */
export function proxyRoutes(deps: ProxyRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(`${PROXY_PREFIX}/:id/*`, async function upstreamCors(c, next) {
    await next();
    const origin = c.req.header('origin');
    const cors = deps.cors.get(c.req.param('id') ?? '');
    if (!origin || !cors?.origins.has(origin)) return;
    c.res.headers.set('Access-Control-Allow-Origin', origin);
    c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After, ETag, X-Request-Id');
    c.res.headers.append('Vary', 'Origin');
  });

  // CORS preflight (Fetch standard §3.2.2): only an allowed origin asking for a method of the route table.
  app.options(`${PROXY_PREFIX}/:id/*`, (c) => {
    const cors = deps.cors.get(c.req.param('id'));
    if (!cors) throw new NotFound('no such upstream', `unknown upstream ${quote(c.req.param('id'), 64)}`);
    const origin = c.req.header('origin') ?? '';
    const method = c.req.header('access-control-request-method') ?? '';
    if (!cors.origins.has(origin) || !cors.methods.includes(method)) {
      throw new AccessDenied('this origin or method may not call this upstream', `CORS preflight from ${origin ? quote(origin, 200) : '(no origin)'} for ${method ? bounded(method, 16) : '(no method)'}`);
    }
    return c.body(null, 204, {
      'Access-Control-Allow-Methods': cors.methods.join(', '),
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
    });
  });

  const handle = async (c: Context<AppEnv>) => {
    const res = await deps.handle(toCall(c));
    // A Response built here bypasses Hono's prepared headers: name the request id for the caller explicitly.
    res.headers.set('X-Request-Id', c.get('requestId'));
    return res;
  };
  app.all(`${PROXY_PREFIX}/:id`, handle);
  app.all(`${PROXY_PREFIX}/:id/*`, handle);
  return app;
}

/** The request as the proxy sees it: the path and query exactly as received (still percent-encoded). */
function toCall(c: Context<AppEnv>): ProxyCall {
  const url = new URL(c.req.url);
  const afterPrefix = url.pathname.slice(PROXY_PREFIX.length + 1);
  const slash = afterPrefix.indexOf('/');
  const upstreamId = slash === -1 ? afterPrefix : afterPrefix.slice(0, slash);
  return {
    upstreamId,
    method: c.req.method,
    rawPath: slash === -1 ? '/' : afterPrefix.slice(slash),
    rawQuery: url.search.slice(1),
    authorization: c.req.header('authorization'),
    headers: c.req.raw.headers,
    requestId: c.get('requestId'),
    readBody: async (maxBytes) => {
      const bytes = await readBody(c, maxBytes);
      return bytes.byteLength === 0 ? undefined : bytes;
    },
  };
}
