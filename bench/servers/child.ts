// Entry point of a server child: `node --import tsx bench/servers/child.ts <kind> <options-json>`. One server
// per process, so the load generator never shares its event loop. It answers the harness over IPC and exits
// when the harness says so or when the IPC channel closes (the harness died: no orphan keeps a port).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { BenchServer, ChildMessage, MemorySample, ParentMessage, ServerKind } from '../harness/protocol.js';
import { statusCounts } from './listen.js';

async function start(kind: ServerKind, options: unknown): Promise<BenchServer> {
  // Imported on demand: a child loads only its own server's dependencies.
  switch (kind) {
    case 'floor':
      return (await import('./floor.js')).startFloor();
    case 'peer':
      return (await import('./peer.js')).startPeer();
    case 'sts':
      return (await import('./sts.js')).startSts(options as import('./sts.js').StsOptions);
    case 'saml-raw':
      return (await import('./saml-raw.js')).startSamlRaw(options as import('./saml-raw.js').SamlRawOptions);
    case 'upstream':
      return (await import('./upstream.js')).startUpstream();
  }
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function memory(): MemorySample {
  // With --expose-gc, measure live memory rather than whatever garbage the last round left behind.
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
}

/**
 * CPU profile of a chosen stretch (one round), not of the whole process: what `node --cpu-prof` records, minus
 * start-up and warm-up. Sampled every 100 µs, like --cpu-prof-interval 100.
 */
class Profiler {
  private session: Session | undefined;

  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 100 });
    await this.session.post('Profiler.start');
  }

  async stop(file: string): Promise<void> {
    if (!this.session) throw new Error('profile-stop without profile-start');
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    this.session.disconnect();
    this.session = undefined;
  }
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/servers/child.ts must be started by the harness (it needs an IPC channel)');
  const [kind, json] = process.argv.slice(2);
  process.on('disconnect', () => process.exit(0));
  let server: BenchServer;
  try {
    server = await start(kind as ServerKind, JSON.parse(json ?? '{}'));
  } catch (err) {
    send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
  const profiler = new Profiler();
  process.on('message', (m: ParentMessage) => {
    if (m.type !== 'command') return;
    const reply = (value: Extract<ChildMessage, { type: 'reply' }>['value']) => send({ type: 'reply', id: m.id, value });
    if (m.command === 'memory') reply(memory());
    if (m.command === 'statuses') reply(statusCounts());
    if (m.command === 'cpu') reply(process.cpuUsage());
    if (m.command === 'profile-start') void profiler.start().then(() => reply(null));
    if (m.command === 'profile-stop') void profiler.stop(m.file!).then(() => reply(null));
    if (m.command === 'exit') {
      // A normal exit: the database is closed (WAL checkpointed) before the harness reads it.
      void server.close().finally(() => {
        send({ type: 'reply', id: m.id, value: null });
        process.disconnect();
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', port: server.port, info: server.info });
}

void main();
