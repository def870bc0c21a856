// HAProxy (Debian's /usr/sbin/haproxy, installed by ./install.sh) in front of campus-sts instances on 127.0.0.1,
// running the reference config deploy/haproxy.cfg. The test changes only the lines that file marks
// "[test replaces]" (listen address, servers, check timing, process identity): a marked line this module does not
// know, or a kind of marked line that is missing, fails the test rather than testing another config.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../browser/ports.js';

export const HAPROXY = '/usr/sbin/haproxy';
export const DEPLOY_CONFIG = join(process.cwd(), 'deploy', 'haproxy.cfg');
const MARK = '# [test replaces]';
/** Fast checks for tests: an instance is out after 2 failed checks (~0.3 s) and back after 2 good ones. */
export const TEST_CHECKS = 'default-server check inter 150ms fastinter 100ms downinter 150ms fall 2 rise 2';

export interface BackendServer {
  name: string;
  /** On 127.0.0.1. */
  port: number;
}

/** deploy/haproxy.cfg with its marked lines replaced for a run on 127.0.0.1 (unprivileged, its own socket). */
export function testConfigFromDeploy(deployText: string, opts: { port: number; servers: BackendServer[]; socket: string }): string {
  const seen = new Set<string>();
  const lines = deployText.split('\n').flatMap((line) => {
    if (!line.includes(MARK)) return [line];
    const indent = /^\s*/.exec(line)![0];
    const keyword = line.trim().split(/\s+/, 2).join(' ');
    const kind = ['user', 'group', 'chroot', 'bind', 'default-server', 'server'].find((k) => keyword.startsWith(`${k} `)) ?? (keyword === 'stats socket' ? keyword : undefined);
    if (kind === undefined) throw new Error(`deploy/haproxy.cfg: a line marked "[test replaces]" that the test does not know: ${line.trim()}`);
    const first = !seen.has(kind);
    seen.add(kind);
    switch (kind) {
      case 'user':
      case 'group':
      case 'chroot':
        return []; // the test's HAProxy runs as the test's user, without the package's chroot folder
      case 'stats socket':
        return [`${indent}stats socket ${opts.socket} level admin`];
      case 'bind':
        return first ? [`${indent}bind 127.0.0.1:${opts.port}`] : [];
      case 'default-server':
        return [`${indent}${TEST_CHECKS}`];
      default:
        return first ? opts.servers.map((s) => `${indent}server ${s.name} 127.0.0.1:${s.port}`) : [];
    }
  });
  const missing = ['stats socket', 'bind', 'default-server', 'server'].filter((k) => !seen.has(k));
  if (missing.length > 0) throw new Error(`deploy/haproxy.cfg: no line marked "[test replaces]" for: ${missing.join(', ')}`);
  return lines.join('\n');
}

export interface ServerStat {
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT … */
  status: string;
  /** Requests (sessions) sent to this server so far. */
  total: number;
}

export interface Balancer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The backend's servers as HAProxy sees them now (from its stats socket). */
  servers(): Promise<Record<string, ServerStat>>;
  /** Resolves once every named server has the status (bounded: throws after `timeoutMs`). */
  waitFor(status: 'UP' | 'DOWN', names: string[], timeoutMs?: number): Promise<void>;
  /** What HAProxy printed (its log lines go to stdout): for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const conn = connect(socket, () => conn.end(`${command}\n`));
    conn.on('data', (d) => (text += d));
    conn.once('error', reject);
    conn.once('close', () => resolve(text));
  });
}

function parseStats(csv: string, backend: string): Record<string, ServerStat> {
  const [header, ...rows] = csv.trim().split('\n');
  const cols = header!.replace(/^# /, '').split(',');
  const at = (name: string) => cols.indexOf(name);
  const result: Record<string, ServerStat> = {};
  for (const row of rows) {
    const f = row.split(',');
    if (f[at('pxname')] !== backend || ['FRONTEND', 'BACKEND'].includes(f[at('svname')]!)) continue;
    result[f[at('svname')]!] = { status: f[at('status')]!, total: Number(f[at('stot')]) };
  }
  return result;
}

/** Starts HAProxy in the foreground on a free port with deploy/haproxy.cfg, balancing over `servers`. */
export async function startHaproxy(servers: BackendServer[], port?: number): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-haproxy-'));
  const listen = port ?? (await freePort());
  const socket = join(dir, 'admin.sock');
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, testConfigFromDeploy(readFileSync(DEPLOY_CONFIG, 'utf8'), { port: listen, servers, socket }));
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // Keep the tail only: at load it logs a line per request.
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readServers = async () => parseStats(await statsCommand(socket, 'show stat'), 'campus-sts');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
    }
    if (await readServers().then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not open its stats socket:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `http://127.0.0.1:${listen}`,
    port: listen,
    servers: readServers,
    async waitFor(status, names, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const now = await readServers();
        if (names.every((n) => now[n]?.status === status)) return;
        if (Date.now() > until) throw new Error(`haproxy: ${names.join(', ')} not ${status} after ${timeoutMs} ms: ${JSON.stringify(now)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    output: () => out,
    stop,
  };
}
