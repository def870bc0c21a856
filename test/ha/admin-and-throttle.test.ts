import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../src/db/schema/audit-log.js';
import { ATTR } from '../../src/saml/constants.js';
import { aliceAttributes, toB64, type TestIdp } from '../support/saml/idp-signer.js';
import { AUD, ISSUER, SECRETS, type TestService } from '../helpers/service.js';
import { startInstancesWithIdp } from './instances-with-idp.js';
import { RoamingBrowser, type Instances } from './pg-instances.js';

/**
 * State a person or a client builds up on one instance holds on every other: console sessions (signed in on A,
 * used and signed out on B) and the failure throttle of client authentication (failures on A block on B).
 */
const ADMIN = 'urn:mace:example.edu:campus-sts:admin';
const SUBJECT = 'hk3p5q2zlz7jpzhcv5h3atbieq3euhht@univ.edu'; // the pairwise-id, lower-cased
const SESSION_COOKIE = '__Host-campus_sts_admin';
const LOGIN_REQUIRED = { error: 'login_required', error_description: 'sign in to the admin console first', login_url: '/admin/login' };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const THROTTLED = { error: 'temporarily_unavailable', error_description: 'too many failed client authentications; retry later' };

let cluster: Instances;
let a: TestService;
let b: TestService;
let idp: TestIdp;

beforeAll(async () => {
  const attributes = [...aliceAttributes(), { name: ATTR.eduPersonEntitlement, values: [ADMIN] }];
  ({ cluster, a, b, idp } = await startInstancesWithIdp({
    attributes,
    config: {
      admin: { roles: { admin: [ADMIN] }, audit: { checkpoint_interval_seconds: 0 } },
      // A deadline no loaded test box misses: the concurrent test's scrypt checks queue for their slots.
      server: { throttle: { client_failures: 3, block_seconds: 45, secret_check_deadline_ms: 30_000 } },
    },
  }));
});
afterAll(() => cluster?.stop());

async function rowsOf(...responses: Response[]): Promise<AuditRow[]> {
  const ids = new Set(responses.map((r) => r.headers.get('x-request-id')));
  return (await cluster.rows()).filter((r) => ids.has(r.requestId));
}

/** Signs in to the console on `s` (its /admin/login and its ACS); returns the browser and the session's CSRF token. */
async function signInOn(s: TestService): Promise<{ browser: RoamingBrowser; acs: Response }> {
  const browser = new RoamingBrowser();
  const start = await browser.request(s, '/admin/login');
  expect(start.status).toBe(303);
  const request = new URL(start.headers.get('location')!).searchParams.get('SAMLRequest')!;
  const requestId = /\sID="([^"]+)"/.exec(inflateRawSync(Buffer.from(request, 'base64')).toString('utf8'))![1]!;
  const acs = await browser.postForm(s, '/saml/acs', { SAMLResponse: toB64(await idp.response({ requestId, sign: 'response' })) });
  expect(acs.status, (await rowsOf(acs)).at(-1)?.reason ?? '').toBe(303);
  expect(acs.headers.get('location')).toBe('/admin/audit');
  return { browser, acs };
}

const sessionOn = async (browser: RoamingBrowser, s: TestService) => {
  const res = await browser.request(s, '/admin/api/session');
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};

describe('console sessions across instances', () => {
  it('a session made on A is accepted on B, acts there, and signing out on B ends it on A', async () => {
    const { browser, acs } = await signInOn(a);
    expect((await rowsOf(acs)).map((r) => `${r.event}:${r.outcome}`)).toEqual(['saml.login:success', 'admin.login:success']);
    const cookie = browser.cookie(SESSION_COOKIE)!;
    const onA = await sessionOn(browser, a);
    const onB = await sessionOn(browser, b);
    expect(onA).toEqual({ status: 200, body: { subject: SUBJECT, role: 'admin', idp: 'shib', csrf_token: expect.stringMatching(/^[\w-]{43}$/) } });
    expect(onB).toEqual(onA);
    const csrf = onB.body.csrf_token!;

    // An admin action on B with the session (and CSRF token) made on A.
    const checkpoint = await browser.request(b, '/admin/api/audit/checkpoints', { method: 'POST', headers: { 'x-csrf-token': csrf, origin: ISSUER, 'sec-fetch-site': 'same-origin' } });
    expect(checkpoint.status).toBe(201);
    expect(await rowsOf(checkpoint)).toEqual([expect.objectContaining({ event: 'audit.checkpoint', outcome: 'success', subject: SUBJECT })]);

    const logout = await browser.postForm(b, '/admin/logout', { csrf_token: csrf });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/admin/signed-out');
    expect(await rowsOf(logout)).toEqual([expect.objectContaining({ event: 'admin.logout', outcome: 'success', subject: SUBJECT, data: JSON.stringify({ role: 'admin' }) })]);
    // A copy of the old cookie, on either instance: signed out.
    for (const s of [a, b]) {
      const res = await s.app.request('/admin/api/session', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(LOGIN_REQUIRED);
    }
    expect((await cluster.verify()).ok).toBe(true);
  });

  it('use on B keeps the session alive on A (one idle clock for all instances)', async () => {
    const { browser } = await signInOn(a);
    const advance = (ms: number) => [a, b].forEach((s) => s.clock.advance(ms));
    advance(14 * 60_000);
    expect((await sessionOn(browser, b)).status).toBe(200);
    // 28 minutes after sign-in, 14 after B's use: alive on A only because B's use moved the shared idle clock.
    advance(14 * 60_000);
    expect((await sessionOn(browser, a)).status).toBe(200);
    advance(15 * 60_000 + 1000);
    expect(await sessionOn(browser, b)).toEqual({ status: 401, body: { ...LOGIN_REQUIRED, error_description: 'your session ended after a period of inactivity' } });
    expect(await sessionOn(browser, a)).toEqual({ status: 401, body: LOGIN_REQUIRED });
  });
});

describe('the failure throttle across instances', () => {
  async function token(s: TestService, id: string, secret: string): Promise<{ res: Response; status: number; body: unknown }> {
    const res = await s.post('/token', { grant_type: 'client_credentials', audience: id === 'delta' ? AUD.other : AUD.sis }, [id, secret]);
    return { res, status: res.status, body: await res.json() };
  }

  it('failures on A and B count toward one limit; once it is reached through A, B answers 429', async () => {
    // The legitimate client, before the attack, on both instances.
    for (const s of [a, b]) expect((await token(s, 'alpha', SECRETS.alpha)).status).toBe(200);
    const failures = [await token(a, 'alpha', 'guess-1'), await token(b, 'alpha', 'guess-2'), await token(a, 'alpha', 'guess-3'), await token(a, 'alpha', 'guess-4')];
    for (const f of failures) expect({ status: f.status, body: f.body }).toEqual({ status: 401, body: INVALID_CLIENT });

    const blocked = await token(b, 'alpha', 'guess-5');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual(THROTTLED);
    const retryAfter = Number(blocked.res.headers.get('retry-after'));
    expect(retryAfter >= 1 && retryAfter <= 45).toBe(true);
    expect((await token(a, 'alpha', 'guess-6')).status).toBe(429);
    // The block was recorded once, by A, in the request whose failure crossed the limit; B's 429 adds no row.
    const throttleRows = (await cluster.rows()).filter((r) => r.event === 'client.throttle');
    expect(throttleRows).toEqual([
      expect.objectContaining({ outcome: 'refused', clientId: 'alpha', requestId: failures[3]!.res.headers.get('x-request-id'), reason: 'too many failed client authentications from this client id', data: JSON.stringify({ limit: 'client', block_seconds: 45 }) }),
    ]);
    expect(await rowsOf(blocked.res)).toEqual([]);
    // The secret each instance already verified is still served on both; other clients are not affected.
    for (const s of [a, b]) expect((await token(s, 'alpha', SECRETS.alpha)).status).toBe(200);
    expect((await token(b, 'delta', SECRETS.beta)).status).toBe(200);
  });

  it('concurrent failures on A and B start one block, recorded once', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => token(i % 2 === 0 ? a : b, 'delta', `guess-${i}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(4);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    for (const r of answers) expect(r.body).toEqual(r.status === 401 ? INVALID_CLIENT : THROTTLED);
    expect((await cluster.rows()).filter((r) => r.event === 'client.throttle' && r.clientId === 'delta')).toHaveLength(1);
    for (const s of [a, b]) expect((await token(s, 'delta', 'guess-late')).status).toBe(429);
  });
});
