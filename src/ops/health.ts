import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';

export interface HealthDeps {
  /**
   * Named readiness checks; each throws (or returns false) when its part is not ready, or returns a string: the
   * reason it is not ready, one public line saying what is wrong (shown under `reasons`).
   */
  readiness: Record<string, () => boolean | string | Promise<boolean | string>>;
}

/** GET /healthz: the process answers. GET /readyz: every dependency is usable (503 naming the ones that are not). */
export function healthRoutes(deps: HealthDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' }))
    .get('/readyz', async (c) => {
      const checks: Record<string, 'ok' | 'failing'> = {};
      const reasons: Record<string, string> = {};
      for (const [name, check] of Object.entries(deps.readiness)) {
        const result = await Promise.resolve().then(check).catch(() => false);
        checks[name] = result === true ? 'ok' : 'failing';
        if (typeof result === 'string') reasons[name] = result;
      }
      const ready = Object.values(checks).every((s) => s === 'ok');
      const body = { status: ready ? 'ready' : 'not ready', checks, ...(Object.keys(reasons).length > 0 ? { reasons } : {}) };
      return c.json(body, ready ? 200 : 503, { 'Cache-Control': 'no-store' });
    });
}
