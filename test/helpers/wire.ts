import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listen, type ListenOptions } from '../../src/http/listen.js';
import type { TestService } from './service.js';

/** A test service behind a real HTTP server on 127.0.0.1 (the Node parser and its limits in front, as in production). */
export interface OnTheWire {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves `s` as the CLI does (its `server` config), with `limits` patched over it (tests use short deadlines). */
export async function onTheWire(
  s: { app: { fetch(req: Request): Response | Promise<Response> }; config: Pick<TestService['config'], 'server'>; shedEarly?: Parameters<typeof listen>[2] },
  limits: Partial<ListenOptions> = {},
): Promise<OnTheWire> {
  const { server, port } = await listen((req) => s.app.fetch(req), { ...s.config.server, host: '127.0.0.1', port: 0, ...limits }, s.shedEarly);
  return {
    server,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A raw TCP connection: what it receives, and whether the server has closed it. */
export interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once the server has closed the connection. */
  closed: Promise<string>;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  socket.on('error', () => undefined); // a reset is one of the outcomes under test
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text, closed };
}

/** Polls `check` until it is true (state reached by another process or socket), failing after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
