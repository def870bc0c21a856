import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { InvalidRequest } from '../../core/oauth-errors.js';
import type { LaunchService } from '../../launch/launch-service.js';
import type { AppEnv } from '../env.js';
import { NO_STORE } from '../errors.js';
import { readForm } from '../read-form.js';

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
        readCode: () => readCode(c.req.header('content-type'), () => readForm(c, MAX_REDEEM_BYTES), () => c.req.text()),
        origin: c.req.header('origin'),
        requestId: c.get('requestId'),
      });
      return c.json(fields, 200, NO_STORE);
    });
}

async function readCode(contentType: string | undefined, form: () => Promise<{ single(n: string): string | undefined }>, text: () => Promise<string>): Promise<string | undefined> {
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return (await form()).single('code');
  const body = await text();
  if (body.length > MAX_REDEEM_BYTES) throw new InvalidRequest('the request body is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequest('the request body is not JSON');
  }
  const code = (parsed as { code?: unknown } | null)?.code;
  if (code !== undefined && typeof code !== 'string') throw new InvalidRequest('code must be a string');
  return code;
}
