// A PostgreSQL cluster of a test's own (initdb + pg_ctl from Debian's server binaries), for tests that stop and
// start the server: the machine's server on 5432 is shared by every other test and is never touched. Trust auth on
// 127.0.0.1 only, a free port, data and socket in a temp folder, durability off (a test cluster, thrown away).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../browser/ports.js';

const BIN = '/usr/lib/postgresql/15/bin';

export interface ThrowawayCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: sessions are terminated (57P01), as in a server restart. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and removes its folder. Idempotent. */
  destroy(): Promise<void>;
}

/** initdb refuses to run as root: as root the cluster belongs to the `postgres` user Debian's package creates. */
function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(command: string, args: string[], as: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, command), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8' }, ...as });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-pg-'));
  const as = owner();
  if (as) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=60'].join(' ');
  let running = false;
  const start = async () => {
    await run('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '20', 'start'], as);
    running = true;
  };
  const stop = async () => {
    await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '20', 'stop'], as);
    running = false;
  };
  let destroyed: Promise<void> | undefined;
  const destroy = () =>
    (destroyed ??= (running ? stop() : Promise.resolve()).finally(() => rmSync(dir, { recursive: true, force: true })));
  try {
    await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], as);
    await start();
  } catch (err) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    await destroy();
    throw new Error(`${(err as Error).message}\n${serverLog}`);
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop, start, destroy };
}
