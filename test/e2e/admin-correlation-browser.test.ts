import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { auditLog, type AuditRow } from '../../src/db/schema/audit-log.js';
import { freshContext } from '../support/browser/chromium.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import { PEOPLE } from '../helpers/saml.js';
import { LAPTOP_VIEWPORT, signInAsAuditor, startConsoleBrowserWorld, type ConsoleBrowserWorld } from './admin-helpers.js';

/**
 * Exact correlation on the review page, in a real browser (Debian chromium) against the real IdP (SimpleSAMLphp):
 * two launches of one survey that overlap (both started before either signed in) are each shown as their own
 * chain, start to upstream call; the replay of a launch code is attributed to its survey and token, so the survey
 * filter shows it; a sign-in finished after `login_ttl` and one answered in a browser that did not start it are
 * refused with different pages and reasons.
 */
const AUDIENCE = 'https://sis.example.edu';
const LOGIN_TTL_SECONDS = 600;

let world: ConsoleBrowserWorld | undefined;
/** Our clock: the wall clock, or a time a test pins it to (the IdP keeps the wall clock). */
let pinned: Date | undefined;
const clock: Clock = { now: () => (pinned ? new Date(pinned) : new Date()) };

beforeAll(async () => {
  world = await startConsoleBrowserWorld(() => ({
    audiences: [{ id: AUDIENCE, scopes: ['student.read'] }],
    saml: { login_ttl_seconds: LOGIN_TTL_SECONDS },
    surveys: [{ id: 'course-eval', url: 'https://survey.example.edu/jfe/form/SV_eval', audience: AUDIENCE, scopes: ['student.read'], require: { affiliation: ['student'] } }],
  }), clock);
});

afterAll(() => world?.stop());

/** A browser of its own as plain HTTP (a cookie jar), for the respondents' side of the launches. */
function visitor(issuer: string) {
  const cookies = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${issuer}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) cookies.set(c.split('=')[0]!, c.split(';')[0]!.split('=').slice(1).join('='));
    return res;
  };
}

const rows = (): AuditRow[] => world!.sts.service.sqlite.db.select().from(auditLog).all();
const requestOf = (res: Response) => res.headers.get('x-request-id')!;
const rowIn = (requestId: string, event: string) => rows().find((r) => r.requestId === requestId && r.event === event)!;

/** One launch's requests: its start, its ACS, its redeem; and its token. */
interface Launch { start: string; acs: string; redeem: string; jti: string; code: string }

/** Two respondents open the survey link before either signs in; then both sign in, and the survey redeems both codes. */
async function overlappingLaunches(): Promise<[Launch, Launch]> {
  const issuer = world!.sts.issuer;
  const browsers = [visitor(issuer), visitor(issuer)];
  const starts = [await browsers[0]!('/launch/course-eval'), await browsers[1]!('/launch/course-eval')];
  const launches: Launch[] = [];
  for (const [i, call] of browsers.entries()) {
    const posted = await loginAtIdp(starts[i]!.headers.get('location')!, PEOPLE.student);
    const acs = await call('/saml/acs', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ SAMLResponse: posted.SAMLResponse }).toString() });
    expect(acs.status).toBe(303);
    const code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
    launches.push({ start: requestOf(starts[i]!), acs: requestOf(acs), redeem: '', jti: rowIn(requestOf(acs), 'launch.issue').jti!, code });
  }
  for (const [i, launch] of launches.entries()) {
    const redeemed = await redeem(launch.code);
    expect(redeemed.status).toBe(200);
    launch.redeem = requestOf(redeemed);
    // What the upstream proxy records for a call made with that token.
    await world!.sts.service.audit.commit((tx) =>
      world!.sts.service.audit.append(tx, {
        event: 'upstream.call', outcome: 'success', requestId: `proxy-${i}`, subject: 'alice@example.edu', clientId: 'survey:course-eval', jti: launch.jti, audience: [AUDIENCE],
        data: { upstream: 'sis', method: 'GET', route: '/students/{claims.student_id}', status: 200, upstream_status: 200, latency_ms: 30 },
      }),
    );
  }
  return launches as [Launch, Launch];
}

const redeem = (code: string) => fetch(`${world!.sts.issuer}/launch/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });

/** Opens the survey link in a fresh browser; `atIdp` runs on the IdP's page; then signs in: the page we land on. */
async function launchInBrowser(atIdp: (context: BrowserContext) => Promise<void>): Promise<{ page: Page; context: BrowserContext }> {
  const context = await freshContext(world!.browser, { viewport: LAPTOP_VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${world!.sts.issuer}/launch/course-eval`);
  await page.waitForURL(`${world!.idp.baseUrl}/**`);
  await atIdp(context);
  await page.locator('input[name=username]').fill(PEOPLE.student.username);
  await page.locator('input[name=password]').fill(PEOPLE.student.password);
  await Promise.all([page.waitForURL(`${world!.sts.issuer}/saml/acs`), page.locator('input[name=password]').press('Enter')]);
  return { page, context };
}

/** The correlation table of a row's page: `row:event:linked by`, oldest first. */
async function chainOn(page: Page, id: number): Promise<string[]> {
  await page.goto(`${world!.sts.issuer}/admin/audit/events/${id}`);
  return page.locator('#corr-caption + thead + tbody tr').evaluateAll((trs) => trs.map((r) => `${r.children[0]!.textContent}:${r.children[2]!.textContent}:${r.children[4]!.textContent}`));
}

/** The rows the list shows: `event|outcome|client|survey|reason`, newest first. */
const listed = (page: Page) =>
  page.locator('#rows-caption + thead + tbody tr').evaluateAll((trs) => trs.map((r) => [2, 3, 5, 6, 8].map((i) => r.children[i]!.textContent!.trim()).join('|')));

describe('exact correlation on the review page', () => {
  it('shows each of two overlapping launches as its own chain, the replay under its survey, expired and unknown sign-ins apart', async () => {
    const [a, b] = await overlappingLaunches();
    // The survey (or someone who copied the URL) redeems the first code again.
    const replay = await redeem(a.code);
    expect(replay.status).toBe(400);

    // A sign-in finished after login_ttl: started 11 minutes ago (by our clock), signed in at the IdP now.
    const startedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - (LOGIN_TTL_SECONDS + 60) * 1000);
    pinned = startedAt;
    const late = await launchInBrowser(async () => {
      pinned = undefined;
    });
    expect(await late.page.locator('h1').textContent()).toBe('Your sign-in took too long');
    const lateRequest = (await late.page.locator('p.ref code').textContent())!;
    await late.context.close();
    // A sign-in answered in a browser that did not start it (its login cookie gone meanwhile).
    const foreign = await launchInBrowser((context) => context.clearCookies({ name: 'campus_sts_login' }));
    expect(await foreign.page.locator('h1').textContent()).toBe('This sign-in was not started here');
    const foreignRequest = (await foreign.page.locator('p.ref code').textContent())!;
    await foreign.context.close();
    const lateLogin = rowIn(lateRequest, 'saml.login');
    const lateStart = rows().find((r) => r.event === 'saml.start' && r.at.getTime() === startedAt.getTime())!;
    const expiredReason = `login_expired: answered after the sign-in expired at ${new Date(startedAt.getTime() + LOGIN_TTL_SECONDS * 1000).toISOString()} (login_ttl ${LOGIN_TTL_SECONDS} s)`;
    const unknownReason = 'in_response_to_mismatch: InResponseTo is not a pending login of this browser';

    // The auditor signs in to the console through the IdP.
    const context = await freshContext(world!.browser, { viewport: LAPTOP_VIEWPORT });
    const page = await context.newPage();
    await signInAsAuditor(page, world!);

    // 1. The first launch, from its redeem: its own start, login, token, redeem, upstream call and replay; none of the other's.
    const replayRow = rowIn(requestOf(replay), 'launch.redeem');
    expect(await chainOn(page, rowIn(a.redeem, 'launch.redeem').id)).toEqual([
      `${rowIn(a.start, 'saml.start').id}:saml.start:same sign-in`,
      `${rowIn(a.acs, 'saml.login').id}:saml.login:same request`,
      `${rowIn(a.acs, 'launch.issue').id}:launch.issue:same token (jti)`,
      `${rowIn(a.redeem, 'launch.redeem').id}:launch.redeem:this row`,
      `${rowIn('proxy-0', 'upstream.call').id}:upstream.call:same token (jti)`,
      `${replayRow.id}:launch.redeem:same token (jti)`,
    ]);
    // 2. The second launch, from its sign-in start (the other way along the chain).
    expect(await chainOn(page, rowIn(b.start, 'saml.start').id)).toEqual([
      `${rowIn(b.start, 'saml.start').id}:saml.start:this row`,
      `${rowIn(b.acs, 'saml.login').id}:saml.login:same sign-in`,
      `${rowIn(b.acs, 'launch.issue').id}:launch.issue:same sign-in`,
      `${rowIn(b.redeem, 'launch.redeem').id}:launch.redeem:same token (jti)`,
      `${rowIn('proxy-1', 'upstream.call').id}:upstream.call:same token (jti)`,
    ]);
    // The late sign-in is tied to its start; the foreign one to nothing.
    expect(await chainOn(page, lateLogin.id)).toEqual([`${lateStart.id}:saml.start:same sign-in`, `${lateLogin.id}:saml.login:this row`]);
    expect(await chainOn(page, rowIn(foreignRequest, 'saml.login').id)).toEqual([`${rowIn(foreignRequest, 'saml.login').id}:saml.login:this row`]);

    // 3. Filtering by the survey (refusals only) shows the replay, attributed, and the late sign-in; not the foreign one.
    await page.goto(`${world!.sts.issuer}/admin/audit`);
    await page.getByLabel('Survey').fill('course-eval');
    await page.getByLabel('Outcome').selectOption('refused');
    await Promise.all([page.waitForURL(/survey=course-eval/), page.getByLabel('Survey').press('Enter')]);
    expect(await listed(page)).toEqual([
      `saml.login|refused||course-eval|${expiredReason}`,
      'launch.redeem|refused|survey:course-eval|course-eval|launch code already used',
    ]);
    await page.getByRole('link', { name: `Row ${replayRow.id}: launch.redeem, details` }).click();
    await expect.poll(() => page.locator('dl.fields dt:text-is("Token id (jti)") + dd .mono').textContent()).toBe(a.jti);

    // 4. Expired and unknown sign-ins, apart by their exact reasons.
    await page.goto(`${world!.sts.issuer}/admin/audit?event=saml.login&outcome=refused`);
    expect(await listed(page)).toEqual([`saml.login|refused|||${unknownReason}`, `saml.login|refused||course-eval|${expiredReason}`]);
    await context.close();
  });
});
