import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { AUD, basic, newClientKey, SECRETS, testConfig } from '../helpers/service.js';

/**
 * Graceful shutdown of the real process (`campus-sts serve`): after SIGTERM it stops accepting connections,
 * lets the request in flight finish (its audit row is written), closes the database cleanly, and exits 0.
 */
let dir: string;
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first stdout match; rejects if the process exits first. */
function waitFor(proc: ChildProcess, pattern: RegExp, output: { text: string }): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = output.text.match(pattern);
      if (m) {
        proc.stdout!.off('data', check);
        resolve(m);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}: ${output.text}`)));
    check();
  });
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

describe('campus-sts serve: graceful shutdown', () => {
  it('finishes the request in flight after SIGTERM, then closes the database and exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'campus-sts-shutdown-'));
    const config = testConfig(dir, (await newClientKey()).jwks);
    const file = join(dir, 'campus-sts.yaml');
    writeFileSync(file, stringify(config));
    const output = { text: '' };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--config', file], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, PORT: '0', TEST_MASTER_KEY: generateMasterKeyText(), ALPHA_SECRET: SECRETS.alpha, BETA_SECRET: SECRETS.beta },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output.text += d.toString()));
    child.stderr!.on('data', (d) => (output.text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const port = Number((await waitFor(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, output))[1]);

    // A token request whose body is only half sent: the handler is running, waiting for the rest.
    const body = new URLSearchParams({ grant_type: 'client_credentials', audience: AUD.sis }).toString();
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const response = readAll(socket);
    socket.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${basic('alpha', SECRETS.alpha)}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 12)}`,
    );
    // A full round trip on another connection: by its answer the server has read the first request's headers.
    const probe = connect(port, '127.0.0.1');
    const probed = readAll(probe);
    probe.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(await probed).toMatch(/^HTTP\/1\.1 200 OK/);

    child.kill('SIGTERM');
    await waitFor(child, /"msg":"shutting down"/, output);
    // No new connections once shutting down …
    for (let i = 0; i < 50 && !(await refusesConnections(port)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await refusesConnections(port)).toBe(true);
    expect(child.exitCode).toBeNull();
    // … but the request in flight completes.
    socket.write(body.slice(12));
    const raw = await response;
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/"access_token":"eyJ/);
    expect(await exited).toBe(0);

    // Closed cleanly: the WAL was checkpointed into the database file and removed, and the token's audit row is there.
    const dbPath = config.database.path;
    expect(existsSync(`${dbPath}-wal`)).toBe(false);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT event, outcome, client_id FROM audit_log ORDER BY id DESC LIMIT 1').get()).toEqual({ event: 'token.issue', outcome: 'success', client_id: 'alpha' });
    } finally {
      db.close();
    }
  }, 30_000);
});
