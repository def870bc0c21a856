// CPU pinning for runs that compare a server with itself at different offered loads (the overload phase): the
// server child on one core, the load generator (this process) on the other, so the generator's cost, which grows
// with the rate it sends, is never taken from the server's core.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

export interface Pinning {
  /** What the report says about the placement. */
  note: string;
  /** Puts `serverPid` (all its threads) on the server's core; a no-op when pinning is unavailable. */
  server(serverPid: number): void;
  /** Gives this process every core back. */
  release(): void;
}

/** Pins this process to the last core and servers to core 0; without taskset (util-linux) or with one core, says so and does nothing. */
export function pinServerAndLoad(log: (line: string) => void): Pinning {
  const cores = cpus().length;
  const unpinned = (why: string): Pinning => {
    log(`not pinning cores: ${why}; server and load generator share every core`);
    return { note: `not pinned (${why})`, server() {}, release() {} };
  };
  if (cores < 2) return unpinned('one core');
  // -a: every thread of the process (libuv's pool, V8's GC helpers), not only the main one.
  const taskset = (list: string, pid: number) => execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore', timeout: 10_000 });
  const load = String(cores - 1);
  try {
    taskset(load, process.pid);
  } catch (err) {
    return unpinned(`taskset failed: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    note: `server child on cpu 0, load generator on cpu ${load}`,
    server: (pid) => taskset('0', pid),
    release: () => taskset(`0-${cores - 1}`, process.pid),
  };
}
