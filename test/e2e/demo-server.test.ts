import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/browser/ports.js';

/** The real process as `npm start` runs it (through tsx, so no build is needed), on a free loopback port. */
let child: ChildProcess;
let base: string;
let dir: string;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-demo-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: String(port), CAMPUS_STS_DATA: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 20_000;
  // The last banner line: everything before it has been printed too.
  while (!output.includes('demo survey launch:')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const demo = 'Basic ' + Buffer.from('demo-client:demo-secret').toString('base64');
async function token(form: Record<string, string>) {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { authorization: demo }, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('npm start (the demo)', () => {
  it('announces the demo client and serves discovery and JWKS', async () => {
    expect(output).toContain(`campus-sts listening on ${base} (issuer ${base})`);
    expect(output).toContain('demo mode: client "demo-client" / secret "demo-secret" (demo only)');
    const meta = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ issuer: base, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks.json` });
    const jwks = (await (await fetch(meta.jwks_uri as string)).json()) as { keys: { kty: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('walks through the README: client_credentials, then an exchange to a narrower scope and another audience', async () => {
    const cc = await token({ grant_type: 'client_credentials', audience: 'https://sis.demo.campus-sts.test' });
    expect(cc.status).toBe(200);
    const ex = await token({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: cc.body.access_token!,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'https://reports.demo.campus-sts.test',
      scope: 'enrollment.read',
    });
    expect(ex.status).toBe(200);
    const jwks = createLocalJWKSet(await (await fetch(`${base}/jwks.json`)).json());
    const { payload } = await jwtVerify(ex.body.access_token!, jwks, { issuer: base, audience: 'https://reports.demo.campus-sts.test' });
    expect(payload).toMatchObject({ sub: 'demo-client', scope: 'enrollment.read' });
    const wider = await token({ ...ex.body, grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: ex.body.access_token!, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'grades.read' });
    expect(wider).toEqual({ status: 400, body: { error: 'invalid_scope', error_description: 'the requested scope is not allowed' } });
  });

  it('starts without runtime warnings on every Node version package.json allows', () => {
    // oidc-provider 9 (Node 22+ only) once printed "Unsupported runtime" at every demo start on Node 20.
    expect(output).not.toMatch(/warning|unsupported/i);
  });

  it('logs JSON lines without secrets or tokens', () => {
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(output).not.toMatch(/eyJ[\w-]+\.eyJ/);
    // The banner prints the demo secret on purpose; the logs never do.
    for (const l of lines) expect(l).not.toContain('demo-secret');
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
