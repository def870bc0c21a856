import type { RequestIdVariables } from 'hono/request-id';

/** Hono's typed per-request state for this app. */
export interface AppEnv {
  Variables: RequestIdVariables;
}
