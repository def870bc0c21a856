// The demo as `npm start` runs it (through tsx, so no build is needed), in its own process on a free loopback
// port with a throw-away data folder. Killed on stop(), and by a process 'exit' hook if a test run dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface DemoProcess {
  /** http://127.0.0.1:PORT, the demo's issuer. */
  base: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startDemoProcess(): Promise<DemoProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sts-demo-browser-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: String(port), CAMPUS_STS_DATA: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('listening on')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`demo did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base: `http://127.0.0.1:${port}`, output: () => output, stop };
}
