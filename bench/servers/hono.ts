import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { listenLocal } from './listen.js';

type FetchHandler = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** Serves a Hono app with @hono/node-server, exactly as `campus-sts serve` does. */
export function listenHono(app: { fetch: FetchHandler }) {
  return listenLocal(createAdaptorServer({ fetch: app.fetch }) as Server);
}
