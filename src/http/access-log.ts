import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './env.js';

/**
 * One JSON log line per request: method, path (never the query string, which may carry one-time codes),
 * status, duration, our request id and the caller's own one (checked, see `requestIds`). Other headers and
 * bodies are never logged.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  // These fields are all this line ever carries, none of them secret: the redaction pass that guards
  // the other log lines (it walks every path on every line, about two thirds of a line's cost) is left out.
  const log = logger.child({}, { redact: [] });
  return async function accessLog(c, next) {
    const started = performance.now();
    await next();
    const theirs = c.get('clientRequestId');
    log.info(
      {
        req_id: c.get('requestId'),
        ...(theirs ? { client_request_id: theirs } : {}),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  };
}
