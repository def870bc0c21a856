import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768–60999): an outgoing connection or another listen(0) can never take the
// port between this probe and the server that binds it (a flake CI met once at a restart).
const LOW = 20_000;
const HIGH = 32_767;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port that was free on 127.0.0.1 a moment ago (for servers that must know their URL before they start). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (await bindable(port)) return port;
  }
}
