import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusCounts } from '../harness/protocol.js';

const counts: StatusCounts = {};

/** Finished responses by status in this process (one server per child, so one table is enough). */
export function statusCounts(): StatusCounts {
  return { ...counts };
}

/**
 * Listens on 127.0.0.1 (never another interface) on a free port and counts finished responses at the socket
 * level, the same way for every kind of server, so the counting costs each scenario the same.
 */
export async function listenLocal(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  server.prependListener('request', (req, res) => {
    // A balancer's health checks are not load: the counts are compared with what the load generator saw.
    if (req.url === '/readyz') return;
    res.once('finish', () => {
      const key = String(res.statusCode);
      counts[key] = (counts[key] ?? 0) + 1;
    });
  });
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  }
  const address = server.address() as AddressInfo;
  if (address.address !== '127.0.0.1') throw new Error(`server bound to ${address.address}, expected 127.0.0.1`);
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
