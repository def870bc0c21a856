import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { InvalidRequest } from '../core/oauth-errors.js';
import type { LaunchService } from './launch-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { browserFlow } from '../http/browser-refusal.js';
import type { AppEnv } from '../http/env.js';
import { NO_STORE } from '../http/errors.js';
import { readBody } from '../http/read-body.js';
import { readForm } from '../http/read-form.js';

const MAX_REDEEM_BYTES = 4096;

/**
 * GET /launch/{survey}: the survey link, which starts the sign-in (a friendly page with an audit row when refused).
 * POST /launch/redeem: the survey's Web Service element (server-side) or its JavaScript (CORS, allow-listed
 * origins only, no credentials) trades the one-time code for a flat JSON object of strings. Accepts a form or a
 * JSON body `{"code": "…"}`. Errors are RFC 6749 JSON.
 */
export function launchRoutes(deps: { launch: LaunchService; audit: AuditLog }): Hono<AppEnv> {
  return new Hono<AppEnv>()
    // Not /launch/redeem, which is POST only (another method there is a 405, not a launch of survey "redeem").
    .get('/launch/:survey{(?!redeem$)[^/]+}', (c) => browserFlow(c, deps, () => deps.launch.start(c, c.req.param('survey'))))
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
