import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestService } from './service.js';

/** Writes the service's (validated) config as YAML, so CLI verbs can open the same database. */
export function writeConfigFile(s: TestService): string {
  const path = join(s.dir, 'campus-sts.yaml');
  writeFileSync(path, stringify(s.config));
  return path;
}

export async function captureCli(run: (io: { env: NodeJS.ProcessEnv; out(l: string): void; err(l: string): void }) => Promise<number>, env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run({ env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** How tests start the real `campus-sts` command (the compiled bin runs the same module). */
export const CLI_COMMAND = [process.execPath, '--import', 'tsx', 'src/cli/run.ts'] as const;

/** Runs the real CLI as a child process (as user `uid` when given); resolves with its exit code and complete output. */
export function runCliProcess(args: string[], env: NodeJS.ProcessEnv, uid?: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const [command, ...pre] = CLI_COMMAND;
    const child = spawn(command, [...pre, ...args], { cwd: process.cwd(), env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  /** Everything it printed so far (stdout and stderr, log lines included). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the real `campus-sts serve --config FILE` (no FILE: the demo) on a free port; resolves once it listens. */
export function startServeProcess(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const [command, ...pre] = CLI_COMMAND;
  const child = spawn(command, [...pre, 'serve', ...(configFile ? ['--config', configFile] : [])], { cwd: process.cwd(), env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(text);
      if (!m) return;
      child.stdout.off('data', check);
      resolve({
        child,
        port: Number(m[1]),
        output: () => text,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout.on('data', (d) => ((text += d.toString()), check()));
    child.stderr.on('data', (d) => (text += d.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${text}`)));
  });
}
