import type { MiddlewareHandler } from 'hono';
import { timeOrderedId } from '../core/ids.js';
import type { AppEnv } from './env.js';

/** A caller's own correlation id worth keeping: short, and only characters that cannot forge log structure. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Every request gets an id of ours (the audit rows', the log's, the one forwarded upstream, and `X-Request-Id` in
 * the answer). A caller's `X-Request-Id` is never taken for it (a caller could make its rows look like part of
 * another request); when it passes a strict check it is kept apart, as `clientRequestId`, for the access log.
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return async function requestIds(c, next) {
    const id = timeOrderedId();
    c.set('requestId', id);
    const theirs = c.req.header('x-request-id');
    c.set('clientRequestId', theirs !== undefined && CLIENT_REQUEST_ID.test(theirs) ? theirs : undefined);
    c.header('X-Request-Id', id);
    await next();
  };
}
