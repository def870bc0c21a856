import pg from 'pg';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { basic } from '../helpers/service.js';
import { startHaDeployment, type HaDeployment } from '../support/ha/deployment.js';
import { launchConfig, launchIdp, mintLaunchCode, redeemLaunchCode } from '../support/ha/saml-launch.js';
import { gammaToken, startTokenLoad, tally, type Outcome } from '../support/ha/token-load.js';
import { testKeyPair } from '../support/saml/keys.js';
import type { TestIdp } from '../support/saml/idp-signer.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../support/postgres/throwaway-cluster.js';

/**
 * The reference deployment failing: two real `campus-sts serve` processes on one PostgreSQL (a throwaway cluster
 * of this file's own, since one test restarts it) behind HAProxy running deploy/haproxy.cfg. Token traffic runs
 * while an instance is killed with SIGKILL and started again, and while PostgreSQL restarts. Each test prints one
 * line of numbers (`HA …`).
 */
const SCHEMA = 'campus_sts';
const CLIENTS = 12;
let cluster: ThrowawayCluster;
let ha: HaDeployment;
let idp: TestIdp;

beforeAll(async () => {
  const [pgCluster, idpKey] = await Promise.all([startThrowawayCluster(), testKeyPair('ha-idp')]);
  cluster = pgCluster;
  ha = await startHaDeployment({
    postgres: { url: cluster.url, schema: SCHEMA },
    overrides: launchConfig(idpKey),
    // Few failures block an address: the X-Forwarded-For test needs only a handful of requests.
    server: { throttle: { source_failures: 3, client_failures: 100 } },
  });
  idp = launchIdp(idpKey, ha.issuer);
}, 60_000);
afterAll(async () => {
  await ha?.stop();
  await cluster?.destroy();
});

async function query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: cluster.url, options: `-c search_path=${SCHEMA}` });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Every 200 has its audit row (by jti), and the whole chain verifies with the real CLI. */
async function expectAudited(outcomes: Outcome[]): Promise<number> {
  const audited = new Set((await query<{ jti: string }>(`SELECT jti FROM audit_log WHERE event = 'token.issue' AND outcome = 'success'`)).map((r) => r.jti));
  const missing = outcomes.filter((o) => o.status === 200 && !audited.has(o.jti!));
  expect(missing).toEqual([]);
  const verify = await runCliProcess(['audit', 'verify', '--config', ha.configFile], ha.env);
  expect(verify, verify.err).toMatchObject({ code: 0 });
  return Number((await query<{ n: string }>('SELECT count(*) AS n FROM audit_log'))[0]!.n);
}

const isCutOff = (o: Outcome) => o.status === 502 || (o.status === 'network' && /UND_ERR_SOCKET|ECONNRESET/.test(o.error!));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = (outcomes: Outcome[], from: number, to: number) => outcomes.filter((o) => o.endedAt >= from && o.endedAt <= to);

describe('two instances behind HAProxy, one of them killed', () => {
  it('SIGKILL and restart of an instance at load: the survivor serves, every 200 is audited, no launch code is lost', async () => {
    const victim = ha.instances[0]!;
    const codes = await Promise.all(Array.from({ length: 4 }, () => mintLaunchCode(ha.issuer, idp)));
    const before = await ha.balancer.servers();

    const load = startTokenLoad({ base: ha.issuer, issuer: ha.issuer, gammaKey: ha.gammaKey, clients: CLIENTS });
    await sleep(1500);
    await victim.kill9();
    const diedAt = Date.now();
    await ha.balancer.waitFor('DOWN', [victim.name], 5_000);
    await sleep(500);
    await victim.start();
    await ha.balancer.waitFor('UP', [victim.name]);
    const backAt = Date.now();
    await sleep(1500);
    const outcomes = await load.stop();
    const after = await ha.balancer.servers();

    // Only requests that were inside the killed process fail, at most one per client, and their outcome is unknown:
    // HAProxy answers 502, or (on a reused client connection) closes it without an answer, as HTTP/1.1 allows.
    const cutOff = outcomes.filter(isCutOff);
    expect(outcomes.filter((o) => o.status !== 200 && !isCutOff(o))).toEqual([]);
    expect(cutOff.length).toBeLessThanOrEqual(CLIENTS);
    expect(cutOff.filter((o) => o.startedAt > diedAt)).toEqual([]);
    // The survivor alone served every request sent between the death and the victim's return.
    const outage = outcomes.filter((o) => o.startedAt > diedAt && o.endedAt < backAt);
    expect(outage.filter((o) => o.status === 200).length).toBeGreaterThan(0);
    expect(outage.filter((o) => o.status !== 200)).toEqual([]);
    // The restarted instance takes traffic again.
    expect(after[victim.name]!.total).toBeGreaterThan(before[victim.name]!.total);

    // Launch codes minted before the kill: redeemable once each, then spent.
    for (const code of codes) expect(await redeemLaunchCode(ha.issuer, code)).toMatchObject({ status: 200, body: { displayName: 'Alice Example' } });
    for (const code of codes) expect(await redeemLaunchCode(ha.issuer, code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const auditRows = await expectAudited(outcomes);
    console.log(`HA kill -9: ${JSON.stringify({ ...tally(outcomes), outage: { ms: backAt - diedAt, ...tally(outage) }, auditRows, launchCodes: codes.length })}`);
  }, 45_000);
});

/** GET /readyz of one instance (bypassing the balancer). */
async function readiness(url: string): Promise<{ status: number; body: { status?: string; reasons?: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { status?: string } };
}

describe('PostgreSQL restarted under load', () => {
  it('answers 503 temporarily_unavailable while it is down (never 500, never slow), and recovers without a restart', async () => {
    await ha.balancer.waitFor('UP', ha.instances.map((i) => i.name));
    const connectTimeout = ha.config.database.connect_timeout_ms;
    const load = startTokenLoad({ base: ha.issuer, issuer: ha.issuer, gammaKey: ha.gammaKey, clients: CLIENTS });
    await sleep(1000);
    const stoppedAt = Date.now();
    await cluster.stop();

    // Each instance, asked directly: not ready, and a token request is refused with 503 at once.
    for (const instance of ha.instances) {
      expect(await readiness(instance.url)).toMatchObject({ status: 503, body: { status: 'not ready', reasons: { database: expect.stringMatching(/ready again once a write succeeds$/) } } });
      const direct = await gammaToken(instance.url, ha.issuer, ha.gammaKey, 'client_credentials', { grant_type: 'client_credentials', audience: 'https://sis.example.edu' });
      expect(direct).toMatchObject({ status: 503, error: 'temporarily_unavailable' });
    }
    // The balancer's checks take both out; it then answers 503 itself, in the same JSON shape.
    await ha.balancer.waitFor('DOWN', ha.instances.map((i) => i.name), 5_000);
    const shed = await fetch(`${ha.issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect([shed.status, shed.headers.get('retry-after'), await shed.json()]).toEqual([503, '2', { error: 'temporarily_unavailable', error_description: 'no campus-sts instance is ready; retry later' }]);
    await sleep(500);

    const restartedAt = Date.now();
    await cluster.start();
    // Both recover by themselves: ready again (their readiness probe is a real write), back in the balancer.
    for (const instance of ha.instances) await expect.poll(async () => (await readiness(instance.url)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    await ha.balancer.waitFor('UP', ha.instances.map((i) => i.name));
    const recoveredAt = Date.now();
    await sleep(1000);
    const outcomes = await load.stop();

    const down = within(outcomes, stoppedAt, restartedAt);
    expect(outcomes.filter((o) => o.status !== 200 && !(o.status === 503 && o.error === 'temporarily_unavailable'))).toEqual([]);
    expect(down.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    // No request waited much longer than the connect timeout (a loaded 2-core box gets two seconds of slack).
    const slowest = Math.max(...down.map((o) => o.endedAt - o.startedAt));
    expect(slowest).toBeLessThan(connectTimeout + 2000);
    const after = outcomes.filter((o) => o.startedAt > recoveredAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((o) => o.status !== 200)).toEqual([]);

    const auditRows = await expectAudited(outcomes);
    console.log(`HA PostgreSQL restart: ${JSON.stringify({ ...tally(outcomes), down: { ms: restartedAt - stoppedAt, ...tally(down), slowestMs: slowest }, recoveryMs: recoveredAt - restartedAt, afterRecovery: tally(after), auditRows })}`);
  }, 45_000);
});

describe('X-Forwarded-For through the balancer', () => {
  it('counts failures under the address HAProxy saw (trusted proxy), not the balancer and not a forged header', async () => {
    // A client on another loopback address, forging a header of its own: HAProxy appends 127.0.0.2 after it.
    const elsewhere = new Agent({ localAddress: '127.0.0.2' });
    const attempt = (i: number) =>
      undiciFetch(`${ha.issuer}/token`, {
        method: 'POST',
        dispatcher: elsewhere,
        headers: { authorization: basic(`nobody-${i}`, 'wrong'), 'x-forwarded-for': '198.51.100.7' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      }).then((r) => r.status);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await attempt(i));
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await elsewhere.close();
    }
    const [row] = await query<{ data: string }>(`SELECT data FROM audit_log WHERE event = 'client.throttle' ORDER BY id DESC LIMIT 1`);
    expect(JSON.parse(row!.data)).toMatchObject({ limit: 'source', source: '127.0.0.2' });
    // Clients on 127.0.0.1 (behind the same balancer) are not blocked.
    expect(await gammaToken(ha.issuer, ha.issuer, ha.gammaKey, 'client_credentials', { grant_type: 'client_credentials', audience: 'https://sis.example.edu' })).toMatchObject({ status: 200 });
  });
});
