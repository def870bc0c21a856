import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit-log.js';
import { freshContext } from '../support/browser/chromium.js';
import type { StsServer } from '../support/browser/sts-server.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import { PEOPLE } from '../helpers/saml.js';
import { LAPTOP_VIEWPORT, pageErrorsOf, signInAsAuditor, startConsoleBrowserWorld, type ConsoleBrowserWorld } from './admin-helpers.js';

/**
 * Audit review as an auditor does it, in a real browser (Debian chromium, headless, fresh profile): campus-sts on
 * http://localhost:P1 and the campus IdP (SimpleSAMLphp) on http://127.0.0.1:P2 — different sites, as in
 * production. Sign in through the IdP, filter by a subject with the keyboard, open an event and its
 * correlation, export CSV. Screenshots go to test-results/admin-audit/ (one is copied to docs/ for the README).
 */
const AUDIENCE = 'https://sis.example.edu';
const LONG_SURVEY = 'course-experience-survey-2026-autumn-physics-and-astronomy';
const SHOTS = join(process.cwd(), 'test-results', 'admin-audit');

let world: ConsoleBrowserWorld | undefined;

beforeAll(async () => {
  world = await startConsoleBrowserWorld(() => ({
    audiences: [{ id: AUDIENCE, scopes: ['student.read'] }],
    surveys: [{ id: 'course-eval', url: 'https://survey.example.edu/jfe/form/SV_eval', audience: AUDIENCE, scopes: ['student.read'], require: { affiliation: ['student'] }, release: ['displayName'] }],
  }));
  await writeHistory(world.sts);
});

afterAll(() => world?.stop());

/** Some history to review: a student's launch (plus two upstream calls with that token), a refused launch. */
async function writeHistory(server: StsServer): Promise<void> {
  const launchAs = async (person: { username: string; password: string }) => {
    const cookies = new Map<string, string>();
    const call = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${server.issuer}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) cookies.set(c.split('=')[0]!, c.split(';')[0]!.split('=').slice(1).join('='));
      return res;
    };
    const start = await call('/launch/course-eval');
    const posted = await loginAtIdp(start.headers.get('location')!, person);
    return call('/saml/acs', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ SAMLResponse: posted.SAMLResponse }).toString() });
  };
  const acs = await launchAs(PEOPLE.student);
  const code = new URL(acs.headers.get('location')!).searchParams.get('sts_code')!;
  const redeemed = await fetch(`${server.issuer}/launch/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const token = ((await redeemed.json()) as { token: string }).token;
  const jti = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  const { db } = server.service.sqlite;
  for (const [i, status] of [200, 200].entries()) {
    await server.service.audit.commit((tx) =>
      server.service.audit.append(tx, {
        event: 'upstream.call', outcome: 'success', requestId: `proxy-${i}`, subject: 'alice@example.edu', clientId: 'survey:course-eval', jti, audience: [AUDIENCE],
        data: { upstream: 'sis', method: 'GET', route: '/students/{claims.student_id}/enrollments', status, upstream_status: status, latency_ms: 40 + i * 7 },
      }),
    );
  }
  expect((await launchAs(PEOPLE.staff)).status).toBe(403);
  // A survey with a long id, as campuses name them: the table must keep it on one line.
  await server.service.audit.commit((tx) =>
    server.service.audit.append(tx, {
      event: 'launch.issue', outcome: 'refused', requestId: 'long-survey', subject: 'dana.long-surname@example.edu', clientId: `survey:${LONG_SURVEY}`,
      reason: 'survey requires affiliation in [student]', data: { survey: LONG_SURVEY },
    }),
  );
}

/** How many lines the text of the element takes on the page. */
const linesOf = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
  });

async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await freshContext(world!.browser, { viewport: LAPTOP_VIEWPORT, acceptDownloads: true });
  const page = await context.newPage();
  // A clean console page has none: no CSP violation, script error or failed load of ours (the browser's own
  // /favicon.ico probe too), and no response of 400 or more.
  const problems = pageErrorsOf(page, world!.sts.issuer);
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return { context, page, problems };
}

async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

describe('audit review in a real browser', () => {
  it('an auditor signs in at the IdP, filters by subject with the keyboard, opens an event, exports CSV', async () => {
    const { context, page, problems } = await newPage();

    // 1. The console sends an unauthenticated visitor to sign in at the IdP (another site). The IdP's POST to our
    // ACS is cross-site; the session cookie set there is SameSite=Lax and reaches the 303's GET.
    await signInAsAuditor(page, world!);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Audit log');
    await expect.poll(() => page.locator('header.top .who').innerText()).toMatch(/Signed in as carol@example\.edu \(auditor\)/);
    await expect.poll(() => page.locator('#status-h + p').innerText()).toMatch(/^✓ Chain verified up to row \d+, written \d{4}-\d\d-\d\d /);
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-campus_sts_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/', domain: 'localhost' });
    await shot(page, '1-signed-in');
    // Ids stay on one line (cut with an ellipsis; the whole id is the cell's title), however long.
    const surveyCell = `tbody td:nth-child(7) [title="${LONG_SURVEY}"]`;
    expect(await page.locator(surveyCell).textContent()).toBe(LONG_SURVEY);
    expect(await linesOf(page, surveyCell)).toBe(1);
    expect(await linesOf(page, `tbody td:nth-child(6) [title="survey:${LONG_SURVEY}"]`)).toBe(1);

    // 2. Keyboard only: the skip link is the first stop, then the filter fields by their labels; Enter submits.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.getByLabel('Subject').focus();
    await page.keyboard.type('alice@example.edu');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/admin\/audit\?.*subject=alice%40example\.edu/);
    const subjects = await page.locator('#rows-caption ~ tbody tr td:nth-child(5)').allTextContents();
    expect(subjects.length).toBe(4);
    expect(new Set(subjects)).toEqual(new Set(['alice@example.edu']));
    const events = await page.locator('#rows-caption ~ tbody tr td:nth-child(3)').allTextContents();
    expect(events).toEqual(expect.arrayContaining(['saml.login', 'launch.issue', 'upstream.call']));
    const review = await shot(page, '2-filtered-by-subject');
    // The README's screenshot: refreshed on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
    const readmeShot = join(process.cwd(), 'docs', 'audit-review.png');
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(readmeShot)) {
      mkdirSync(join(process.cwd(), 'docs'), { recursive: true });
      copyFileSync(review, readmeShot);
    }
    // Focus is visible (a real outline) on whatever the keyboard reaches, in reading order.
    await page.getByLabel('Subject').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-survey');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');

    // 3. Open the launch's token row: its details and the chain that follows the launch.
    await page.getByRole('link', { name: /launch\.issue, details/ }).click();
    await page.waitForURL(/\/admin\/audit\/events\/\d+$/);
    await expect.poll(() => page.locator('h1').textContent()).toMatch(/^Row \d+: launch\.issue \(success\)$/);
    expect(await page.locator('dl.fields >> text=matches the content').count()).toBe(1);
    const chain = await page.locator('#corr-caption + thead + tbody tr').evaluateAll((rows) => rows.map((r) => `${r.children[2]!.textContent}:${r.children[4]!.textContent}`));
    expect(chain).toEqual([
      'saml.start:same sign-in',
      'saml.login:same request',
      'launch.issue:this row',
      'launch.redeem:same token (jti)',
      'upstream.call:same token (jti)',
      'upstream.call:same token (jti)',
    ]);
    await shot(page, '3-event-with-correlation');

    // 4. Back to the filtered list, export CSV (a download over the same session).
    await page.goBack();
    await page.waitForURL(/subject=alice%40example\.edu/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^campus-sts-audit-\d{8}T\d{6}Z\.csv$/);
    const csvPath = join(SHOTS, 'export.csv');
    await download.saveAs(csvPath);
    const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\r\n');
    expect(header).toBe('id,at,event,outcome,request_id,client_id,subject,audience,scope,jti,reason,data,prev_hash,hash');
    expect(lines.length).toBe(subjects.length);
    for (const line of lines) expect(line.split(',')[6]).toBe('alice@example.edu');

    // Everything the auditor did is in the log, and the page never broke its CSP.
    const rows = world!.sts.service.sqlite.db.select().from(auditLog).all();
    expect(rows.filter((r) => r.subject === 'carol@example.edu').map((r) => r.event)).toEqual(['saml.login', 'admin.login', 'audit.export']);
    expect(problems).toEqual([]);
    await context.close();
  });
});
