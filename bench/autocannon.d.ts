/**
 * The slice of `autocannon` (v9, plain JavaScript) that the harness uses, declared narrowly like
 * src/demo/oidc-provider.d.ts: what is not declared here is not used.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  export interface Request extends RequestParams {
    /** Called before each request is built; returns the request to send (never null here). */
    setupRequest?: (request: RequestParams & Record<string, unknown>, context: Record<string, unknown>) => RequestParams;
  }

  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds; ignored when `amount` is set. */
    duration?: number;
    /** Total requests to send, spread over the connections; ends the run when all are answered. */
    amount?: number;
    /** Sampling interval in ms; a stop takes effect at the next sample. */
    sampleInt?: number;
    /** Requests per second across all connections (an offered rate rather than as fast as answers come). */
    overallRate?: number;
    /** Per-request timeout, seconds. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: Request[];
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p99: number;
    total: number;
  }

  export interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
  }

  export interface Instance extends EventEmitter {
    stop(): void;
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
  }

  function autocannon(opts: Options, callback: (err: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
