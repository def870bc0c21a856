// A real SimpleSAMLphp 1.19 IdP (Debian package) for tests, served by `php -S` on
// 127.0.0.1 from a throw-away config folder. Install it with ./install.sh (as root).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCert } from './certs.js';
import { pageText } from './html.js';
import {
  IDP_CERT_FILE, IDP_KEY_FILE, renderAuthsources, renderConfigPhp, renderIdpHosted, renderSpRemote,
  type SpRegistration,
} from './config.js';
import type { IdpUser } from './users.js';

export type { SpRegistration } from './config.js';
export { NAMEID_FORMATS } from './config.js';
export { eduPersonUser, OID, type EduPersonUserInput, type IdpUser } from './users.js';
export { createSelfSignedCert, type KeyPair } from './certs.js';

/** Where Debian's simplesamlphp package puts the document root (its config is /etc/simplesamlphp,
 *  which we never touch: SIMPLESAMLPHP_CONFIG_DIR points at our own folder). */
const WWW_DIR = process.env.SIMPLESAMLPHP_WWW ?? '/usr/share/simplesamlphp/www';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;
const LOG_LINES = 400;

export interface StartOptions {
  /** Only loopback is supported: tests send no traffic elsewhere. */
  host?: '127.0.0.1';
  sps: SpRegistration[];
  users: IdpUser[];
}

export interface SimpleSamlIdp {
  /** http://127.0.0.1:PORT (no trailing slash). */
  baseUrl: string;
  /** = metadataUrl, as SimpleSAMLphp names its hosted IdP by default. */
  entityId: string;
  metadataUrl: string;
  metadataXml: string;
  signingCertPem: string;
  /** SingleSignOnService (HTTP-Redirect and HTTP-POST). */
  ssoUrl: string;
  /** Rewrites saml20-sp-remote.php; the next request sees it (opcache is off). */
  reconfigure(sps: SpRegistration[]): Promise<void>;
  /** Recent stderr/stdout of php -S and SimpleSAMLphp's log (warnings and up). */
  logs(): string;
  /** Kills the whole process group and removes the config folder. Idempotent. */
  stop(): Promise<void>;
}

export async function startSimpleSamlIdp(opts: StartOptions): Promise<SimpleSamlIdp> {
  assertInstalled();
  const dir = await mkdtemp(join(tmpdir(), 'ssp-idp-'));
  try {
    for (const sub of ['cert', 'metadata', 'log', 'data', 'tmp', 'sessions']) {
      await mkdir(join(dir, sub), { mode: 0o700 });
    }
    const keys = await createSelfSignedCert('campus-sts test SimpleSAMLphp IdP');
    await writeFile(join(dir, 'cert', IDP_KEY_FILE), keys.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'cert', IDP_CERT_FILE), keys.certPem);
    await writeFile(join(dir, 'authsources.php'), renderAuthsources(opts.users));
    const secretSalt = randomBytes(24).toString('hex');
    const adminPassword = randomBytes(24).toString('hex');

    // The port is baked into config.php (baseurlpath), so it is chosen before php starts;
    // if another process grabs it in between, php exits and we try a new one.
    let lastError: unknown;
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const entityId = `${baseUrl}/saml2/idp/metadata.php`;
      await writeFile(join(dir, 'config.php'), renderConfigPhp({ baseUrl: `${baseUrl}/`, dir, secretSalt, adminPassword }));
      await writeFile(join(dir, 'metadata', 'saml20-idp-hosted.php'), renderIdpHosted(entityId));
      await writeAtomically(join(dir, 'metadata', 'saml20-sp-remote.php'), renderSpRemote(opts.sps));

      const server = spawnServer(dir, port);
      try {
        const metadataXml = await waitUntilServing(server, entityId);
        return idpHandle(server, dir, { baseUrl, entityId, metadataXml, signingCertPem: keys.certPem });
      } catch (err) {
        await server.stop();
        lastError = err;
        if (!server.logs().includes('Address already in use')) break;
      }
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function idpHandle(
  server: Server, dir: string,
  info: { baseUrl: string; entityId: string; metadataXml: string; signingCertPem: string },
): SimpleSamlIdp {
  let stopped: Promise<void> | undefined;
  return {
    ...info,
    metadataUrl: info.entityId,
    ssoUrl: `${info.baseUrl}/saml2/idp/SSOService.php`,
    reconfigure: (sps) => writeAtomically(join(dir, 'metadata', 'saml20-sp-remote.php'), renderSpRemote(sps)),
    logs: server.logs,
    stop: () => (stopped ??= server.stop().finally(() => rm(dir, { recursive: true, force: true }))),
  };
}

function assertInstalled(): void {
  if (!existsSync(join(WWW_DIR, 'saml2', 'idp', 'SSOService.php'))) {
    throw new Error(`SimpleSAMLphp not found at ${WWW_DIR}: run test/support/simplesamlphp/install.sh as root`);
  }
}

/** Readers never see a half-written metadata file (php -S may serve a request meanwhile). */
async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface Server {
  hasExited(): boolean;
  logs(): string;
  stop(): Promise<void>;
}

// php -S runs under a small sh wrapper in its own process group (detached), because the
// built-in server's workers are separate processes that keep the port: stop() signals the
// whole group. The wrapper holds our stdin pipe on fd 3: when Node goes away, even by
// SIGKILL, the pipe closes and the watcher removes the config folder and kills the group,
// so no orphaned php keeps a port. opcache is off, or a rewritten metadata file would be
// served stale for seconds. Several workers let a browser load assets while another
// request is in flight.
const WRAPPER = `
exec 3<&0
php -d opcache.enable=0 -d display_errors=stderr -S "127.0.0.1:$1" -t "$2" </dev/null 3<&- &
php_pid=$!
( cat <&3 >/dev/null; rm -rf "$3"; kill -TERM 0 ) &
wait "$php_pid"
`;

function spawnServer(configDir: string, port: number): Server {
  const child = spawn('sh', ['-c', WRAPPER, 'ssp-idp', String(port), WWW_DIR, configDir], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: configDir, PHP_CLI_SERVER_WORKERS: '4' },
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (err) => {
    exited = true;
    lines.push(`spawn error: ${err.message}`);
  });
  const pgid = child.pid;
  const forget = atProcessExit(() => {
    signalGroup(pgid, 'SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
  });

  // Done when the wrapper has been reaped and no process of its group is left.
  const gone = () => exited && !groupAlive(pgid);
  const stop = async () => {
    forget();
    signalGroup(pgid, 'SIGTERM');
    if (!(await pollUntil(gone, STOP_TIMEOUT_MS))) {
      signalGroup(pgid, 'SIGKILL');
      if (!(await pollUntil(gone, STOP_TIMEOUT_MS))) throw new Error(`php -S process group ${pgid} survived SIGKILL`);
    }
    child.stdin?.destroy();
  };
  return { hasExited: () => exited, logs: () => lines.join('\n'), stop };
}

// Last resort if a test run ends without stop(). One shared listener (not one per server,
// which would trip the max-listeners warning); 'exit' handlers may only do sync work.
const exitCleanups = new Set<() => void>();
function atProcessExit(cleanup: () => void): () => void {
  if (exitCleanups.size === 0) process.once('exit', runExitCleanups);
  exitCleanups.add(cleanup);
  return () => {
    exitCleanups.delete(cleanup);
    if (exitCleanups.size === 0) process.removeListener('exit', runExitCleanups);
  };
}
function runExitCleanups(): void {
  for (const cleanup of exitCleanups) cleanup();
}

function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(pgid: number | undefined): boolean {
  if (pgid === undefined) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pollUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await delay(20);
  }
  return true;
}

/** Polls the metadata URL; fails fast if php exits or answers with an error page. */
async function waitUntilServing(server: Server, metadataUrl: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`php -S exited during startup:\n${server.logs()}`);
    let res: Response | undefined;
    try {
      res = await fetch(metadataUrl, { signal: AbortSignal.timeout(2_000) });
    } catch {
      // Not listening yet.
    }
    if (res) {
      const body = await res.text();
      if (res.ok && body.includes('EntityDescriptor')) return body;
      // SimpleSAMLphp shows its error pages with status 200, hence the content check.
      throw new Error(`IdP metadata answered ${res.status}: ${pageText(body)}\n--- php -S log ---\n${server.logs()}`);
    }
    await delay(50);
  }
  throw new Error(`IdP did not answer within ${START_TIMEOUT_MS} ms:\n${server.logs()}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
