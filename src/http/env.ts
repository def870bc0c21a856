/** Hono's typed per-request state for this app. */
export interface AppEnv {
  Variables: {
    /** Ours, always (see `requestIds`). */
    requestId: string;
    /** The caller's own `X-Request-Id`, when it passed the check; for the access log only. */
    clientRequestId: string | undefined;
  };
}
