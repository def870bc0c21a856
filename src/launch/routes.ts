import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { LaunchService } from './launch-service.js';
import type { AppEnv } from '../http/env.js';
import { NO_STORE } from '../http/errors.js';
import { readBody } from '../http/read-body.js';
import { readForm } from '../http/read-form.js';

const MAX_REDEEM_BYTES = 4096;

/**
 * POST /launch/redeem: the survey's Web Service element (server-side) or its JavaScript (CORS, allow-listed
 * origins only, no credentials) trades the one-time code for a flat JSON object of strings. Accepts a form or a
 * JSON body `{"code": "…"}`. Errors are RFC 6749 JSON.
 */
export function launchRoutes(deps: { launch: LaunchService }): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .use(
      '/launch/redeem',
      cors({ origin: (origin) => (deps.launch.allOrigins.has(origin) ? origin : null), allowMethods: ['POST'], allowHeaders: ['Content-Type'], maxAge: 600 }),
    )
    .post('/launch/redeem', async (c) => {
      const fields = await deps.launch.redeem({
        readCode: () => readCode(c),
        origin: c.req.header('origin'),
        requestId: c.get('requestId'),
      });
      return c.json(fields, 200, NO_STORE);
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The code from a form or a JSON body `{"code": "…"}`, each read through the one capped body reader. */
async function readCode(c: Context<AppEnv>): Promise<string | undefined> {
  if (c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return (await readForm(c, MAX_REDEEM_BYTES)).single('code');
  const bytes = await readBody(c, MAX_REDEEM_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new InvalidRequest('the request body is not JSON');
  }
  const code = (parsed as { code?: unknown } | null)?.code;
  if (code !== undefined && typeof code !== 'string') throw new InvalidRequest('code must be a string');
  return code;
}
