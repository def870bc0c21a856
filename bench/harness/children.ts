// Server children: started with `fork`, one per scenario server, and always ended by the harness. A child
// also exits by itself when the IPC channel closes, so even a harness killed with SIGKILL leaves no server.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCleanups } from './cleanup.js';
import type { ChildMessage, Command, CpuSample, MemorySample, ParentMessage, ServerKind, StatusCounts } from './protocol.js';

const CHILD_ENTRY = fileURLToPath(new URL('../servers/child.ts', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const REPLY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 15_000;
const STDERR_KEEP = 8_000;

const live = new Set<ChildProcess>();

export interface ServerChild {
  kind: ServerKind;
  url: string;
  info: Record<string, string>;
  pid: number;
  memory(): Promise<MemorySample>;
  statuses(): Promise<StatusCounts>;
  /** The child's CPU time so far (user + system, all its threads), in µs. */
  cpuMicros(): Promise<number>;
  /** Starts the child's CPU profiler (inspector), for one measured stretch. */
  profileStart(): Promise<void>;
  /** Stops it and has the child write the .cpuprofile to `file`. */
  profileStop(file: string): Promise<void>;
  /** Asks the child to close and exit normally, then makes sure it is gone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  /** Deployment knobs (the *-tuned scenarios); absent: Node's defaults. */
  knobs?: Knobs;
}

/** The deployment settings issue 14 reports apart from code gains: they speed any Node server, the floor too. */
export interface Knobs {
  /** UV_THREADPOOL_SIZE: libuv's pool (WebCrypto jobs, scrypt, file I/O); Node's default is 4. */
  threadpool: number;
  /** --max-semi-space-size in MB: V8's young generation, fewer scavenges under allocation-heavy load. */
  semiSpaceMb: number;
}

export async function startServerChild(kind: ServerKind, options: unknown, start: StartOptions = {}): Promise<ServerChild> {
  installCleanup();
  const child = fork(CHILD_ENTRY, [kind, JSON.stringify(options ?? {})], {
    execArgv: ['--import', 'tsx', ...(start.nodeFlags ?? []), ...(start.knobs ? [`--max-semi-space-size=${start.knobs.semiSpaceMb}`] : [])],
    // stdout (campus-sts's pino lines) goes to /dev/null; stderr is kept for the failure message.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', ...(start.knobs ? { UV_THREADPOOL_SIZE: String(start.knobs.threadpool) } : {}) },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
  });

  const ready = await new Promise<{ port: number; info: Record<string, string> }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${kind} server did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    const onMessage = (m: ChildMessage) => {
      if (m.type === 'ready') done(() => resolve({ port: m.port, info: m.info }));
      if (m.type === 'failed') fail(new Error(`${kind} server failed to start:\n${m.error}`));
    };
    const onExit = (code: number | null) => fail(new Error(`${kind} server exited (${code}) before it was ready:\n${stderr}`));
    function done(then: () => void) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      then();
    }
    function fail(err: Error) {
      done(() => reject(err));
      child.kill('SIGKILL');
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });

  let nextId = 1;
  function call<T>(command: Command, file?: string): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`${kind} server did not answer "${command}"`))), REPLY_TIMEOUT_MS);
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'reply' && m.id === id) finish(() => resolve(m.value as T));
      };
      const onExit = () => finish(() => (command === 'exit' ? resolve(null as T) : reject(new Error(`${kind} server exited:\n${stderr}`))));
      function finish(then: () => void) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        then();
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'command', id, command, ...(file ? { file } : {}) } satisfies ParentMessage);
    });
  }

  return {
    kind,
    url: `http://127.0.0.1:${ready.port}`,
    info: ready.info,
    pid: child.pid ?? -1,
    memory: () => call<MemorySample>('memory'),
    statuses: () => call<StatusCounts>('statuses'),
    cpuMicros: async () => {
      const { user, system } = await call<CpuSample>('cpu');
      return user + system;
    },
    profileStart: () => call<void>('profile-start'),
    profileStop: (file) => call<void>('profile-stop', file),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // After its reply the child still has to close its database and exit: give it the time.
      void call('exit').catch(() => undefined);
      await Promise.race([exited, delay(EXIT_TIMEOUT_MS)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([exited, delay(EXIT_TIMEOUT_MS)]);
      }
    },
  };
}

/** Kills every child still running; safe to call more than once. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

let installed = false;
function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.stderr.write(`\nbench: ${signal}, servers stopped\n`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
