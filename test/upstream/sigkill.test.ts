import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/compose/service.js';
import { parseConfig } from '../../src/config/load.js';
import { systemClock } from '../../src/core/clock.js';
import { generateMasterKeyText } from '../../src/core/sealed-box.js';
import { createConnectionStore } from '../../src/upstream/vault-store.js';
import { basic } from '../helpers/service.js';
import { ScriptedBrowser } from '../support/oauth/browser.js';
import { CLIENTS, startOidcUpstream, type OidcUpstream } from '../support/oauth/oidc-upstream.js';
import { freePort } from '../support/browser/ports.js';

/**
 * Crash safety of refresh-token rotation (ARCHITECTURE invariant 4): the real service process is killed with
 * SIGKILL after it received a rotated refresh token, at the moment it first uses the new access token. The
 * rotated refresh token must already be in the vault; after a restart it must work at the provider (whose
 * refresh tokens are single use: the old one is consumed, reusing it would revoke the whole grant).
 */

const AUDIENCE = 'https://records.campus.test/api';
const KIOSK = { id: 'kiosk', secret: 'kiosk-secret' };
let up: OidcUpstream;
let dir: string;
let base: string;
let configDoc: Record<string, unknown>;
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  CAMPUS_STS_MASTER_KEY: generateMasterKeyText(),
  CONNECTOR_SECRET: CLIENTS.connector.secret,
  KIOSK_SECRET: KIOSK.secret,
  ADMIN_TOKEN: 'sigkill-admin-token',
};
let output = '';

async function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--config', join(dir, 'campus-sts.json')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let mine = '';
  child.stdout!.on('data', (d) => ((mine += d), (output += d)));
  child.stderr!.on('data', (d) => ((mine += d), (output += d)));
  const deadline = Date.now() + 20_000;
  while (!mine.includes('listening on')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`campus-sts did not start:\n${mine}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}

async function readVault() {
  const store = await openStore(parseConfig(configDoc), env, systemClock);
  try {
    return (await store.stores.upstreamConnections.read('records'))!;
  } finally {
    await store.engine.close();
  }
}

async function kioskToken(): Promise<string> {
  const res = await fetch(`${base}/token`, { method: 'POST', headers: { authorization: basic(KIOSK.id, KIOSK.secret) }, body: new URLSearchParams({ grant_type: 'client_credentials', audience: AUDIENCE }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const record = (token: string) => fetch(`${base}/upstreams/records/students/S1001`, { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sts-sigkill-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  up = await startOidcUpstream({ redirectUris: [`${base}/admin/upstreams/records/callback`] });
  configDoc = {
    issuer: base,
    server: { host: '127.0.0.1', port },
    database: { path: join(dir, 'sts.sqlite') },
    logging: { level: 'info' },
    audiences: [{ id: AUDIENCE, scopes: ['student.read'] }],
    clients: [{ id: KIOSK.id, auth: { method: 'client_secret_basic', secret_env: 'KIOSK_SECRET' }, audiences: [AUDIENCE], scopes: ['student.read'] }],
    upstream_admin: { token_env: 'ADMIN_TOKEN' },
    upstreams: [
      {
        id: 'records',
        audience: AUDIENCE,
        provider: 'generic-oauth2',
        grant: 'authorization_code',
        api_base_url: up.apiBase,
        authorize_url: up.authorizeUrl,
        token_url: up.tokenUrl,
        client_id: CLIENTS.connector.id,
        client_secret_env: 'CONNECTOR_SECRET',
        scopes: ['records:read'],
        routes: [{ method: 'GET', path: '/students/S1001', scope: 'student.read' }],
      },
    ],
  };
  writeFileSync(join(dir, 'campus-sts.json'), JSON.stringify(configDoc));
});
afterAll(async () => {
  await up.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL between receiving a rotated refresh token and using it', () => {
  it('finds the new refresh token in the vault after a restart, and it works', async () => {
    let child = await startChild();
    try {
      // An admin connects the account in a browser (real HTTP to the real process).
      const browser = new ScriptedBrowser();
      const { res } = await browser.navigate(`${base}/admin/upstreams/records/connect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ admin_token: env.ADMIN_TOKEN! }).toString(),
      });
      expect(res.status).toBe(200);
      const token = await kioskToken();
      expect((await record(token)).status).toBe(200);
      const before = await readVault();
      const firstAccess = up.calls.at(-1)!.token!;
      expect(firstAccess).toBe(before.accessToken);

      // The upstream now rejects that access token: the next call refreshes (rotating the refresh token) and
      // retries; the resource server kills the process the moment the retry arrives with the new token.
      await up.revokeAccessToken(firstAccess);
      let usedWhenKilled: string | undefined;
      up.onAccepted = (t) => {
        if (t === firstAccess || usedWhenKilled) return;
        usedWhenKilled = t;
        child.kill('SIGKILL');
      };
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await expect(record(token)).rejects.toThrow();
      expect(await exited).toBe('SIGKILL');
      up.onAccepted = undefined;
      expect(up.grants.refresh_token).toBe(1);

      // The rotated pair was committed before the new access token was used.
      const after = await readVault();
      expect(after.accessToken).toBe(usedWhenKilled);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect((await up.findRefreshToken(before.refreshToken!))?.consumed).toBeTruthy();
      const rotated = await up.findRefreshToken(after.refreshToken!);
      expect(rotated).toBeDefined();
      expect(rotated!.consumed).toBeFalsy();

      // Restart; make the stored access token stale so the vault must refresh with the rotated refresh token.
      await up.revokeAccessToken(after.accessToken!);
      child = await startChild();
      const again = await record(await kioskToken());
      expect(again.status).toBe(200);
      expect(up.grants.refresh_token).toBe(2);
      expect(up.grantErrors.filter((e) => e.startsWith('refresh_token'))).toEqual([]);
      expect((await readVault()).refreshToken).not.toBe(after.refreshToken);
      // Nothing the upstream issued ever reached the process output.
      for (const t of [before.accessToken!, before.refreshToken!, after.accessToken!, after.refreshToken!]) expect(output).not.toContain(t);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
    }
  }, 90_000); // two process starts; each alone took ~10 s on a loaded 2-core machine
});
