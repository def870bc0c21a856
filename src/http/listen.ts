import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { EarlyRefusal } from './admission.js';

/** The `server` section of the config: where to listen, and how long and how many clients may hold us. */
export interface ListenOptions {
  host: string;
  port: number;
  /** The whole request (headers and body) must arrive within this; then Node answers 408 and closes. */
  request_timeout_ms: number;
  /** The request headers must arrive within this (slowloris). */
  headers_timeout_ms: number;
  /** An idle keep-alive connection is closed after this. */
  keep_alive_timeout_ms: number;
  /** Connections beyond this are closed as soon as they are accepted. */
  max_connections: number;
}

/**
 * Starts the HTTP server with deliberate limits (the CLI and the tests both start it here): Node's defaults let a
 * client trickling a body hold a connection for 300 s, and accept any number of connections. `early` may answer
 * a request before it reaches the app (admission's refusal when its line is full: http/admission.ts).
 */
export async function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  opts: ListenOptions,
  early?: EarlyRefusal,
): Promise<{ server: Server; port: number }> {
  // What @hono/node-server's `serve` does, with room for `early` in front of the app.
  const app = getRequestListener(fetch, { hostname: opts.host });
  const server = createServer(
    {
      requestTimeout: opts.request_timeout_ms,
      headersTimeout: opts.headers_timeout_ms,
      keepAliveTimeout: opts.keep_alive_timeout_ms,
      // Both deadlines are enforced by a sweep over open connections (default every 30 s, which would let a
      // 10 s deadline run 40 s); a sweep is a walk over at most max_connections sockets, cheap once a second.
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(opts.headers_timeout_ms / 4))),
    },
    early ? (req, res) => void (early(req, res) || app(req, res)) : app,
  );
  server.maxConnections = opts.max_connections;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(opts.port, opts.host);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
