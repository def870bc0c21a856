import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

export interface HealthDeps {
  /** Named readiness checks; each throws (or returns false) when its part is not ready. */
  readiness: Record<string, () => boolean | Promise<boolean>>;
}

/** GET /healthz: the process answers. GET /readyz: every dependency is usable (503 naming the ones that are not). */
export function healthRoutes(deps: HealthDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' }))
    .get('/readyz', async (c) => {
      const checks: Record<string, 'ok' | 'failing'> = {};
      for (const [name, check] of Object.entries(deps.readiness)) {
        checks[name] = await Promise.resolve()
          .then(check)
          .then((ok) => (ok ? 'ok' : 'failing'), () => 'failing' as const);
      }
      const ready = Object.values(checks).every((s) => s === 'ok');
      return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503, { 'Cache-Control': 'no-store' });
    });
}
