import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/audit-log.js';
import { eduPersonUser, startSimpleSamlIdp, type SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { freshPage, launchChromium, screenshot, STEP_TIMEOUT_MS } from '../support/browser/chromium.js';
import { startDemoProcess, type DemoProcess } from '../support/browser/demo-process.js';
import { startStsServer, type StsServer } from '../support/browser/sts-server.js';
import { startSurveyOrigin, type SurveyOrigin } from '../support/browser/survey-origin.js';
import { CLIENTS, RECORDS_RESOURCE, startOidcUpstream, type OidcUpstream } from '../support/oauth/oidc-upstream.js';

/**
 * The launch as a person sees it, in a real browser (Debian chromium, headless): three sites, as in production —
 * campus-sts on http://localhost:P1, the campus IdP (SimpleSAMLphp) on http://127.0.0.1:P2, and a survey on
 * http://127.0.0.1:P3 whose JavaScript redeems the code over CORS. The IdP's POST to the ACS is therefore
 * cross-site, so the login-binding cookie must survive it. The survey then reads the student's own record from the
 * SIS (a real OAuth upstream) through campus-sts's proxy, keyed on `student_id`, which a claim rule computes from the
 * schacPersonalUniqueCode the IdP releases. Then the demo's own launch, as `npm start` runs it.
 */
const STUDENT = eduPersonUser({
  username: 'alice', password: 'alice-pw', affiliations: ['member', 'student'], displayName: 'Alice Example', mail: 'alice@example.edu',
  personalUniqueCodes: ['urn:schac:personalUniqueCode:int:esi:example.edu:s1000001'],
});
const AUDIENCE = 'https://sis.example.edu';

let browser: Browser | undefined;
let idp: SimpleSamlIdp | undefined;
let survey: SurveyOrigin | undefined;
let sts: StsServer | undefined;
let demo: DemoProcess | undefined;
let sis: OidcUpstream | undefined;

beforeAll(async () => {
  // allSettled: whatever did start is assigned (and stopped by afterAll) even when something else failed to.
  const started = await Promise.allSettled([
    launchChromium().then((b) => (browser = b)),
    startSimpleSamlIdp({ sps: [], users: [STUDENT] }).then((i) => (idp = i)),
    startDemoProcess().then((d) => (demo = d)),
    startOidcUpstream({ redirectUris: ['http://127.0.0.1/unused'] }).then((u) => (sis = u)),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  survey = await startSurveyOrigin(() => sts!.issuer, { recordPath: '/upstreams/sis/me' });
  sts = await startStsServer((issuer, dir) => {
    const metadata = join(dir, 'idp-metadata.xml');
    writeFileSync(metadata, idp!.metadataXml);
    const sisSecret = join(dir, 'sis.secret');
    writeFileSync(sisSecret, CLIENTS.machine.secret, { mode: 0o600 });
    return {
      audiences: [{ id: AUDIENCE, scopes: ['student.read'] }],
      saml: { keys_dir: join(dir, 'certs') },
      idps: [{
        id: 'campus', metadata: { file: metadata }, signed: 'both', subject: { source: 'eppn' },
        claim_rules: { student_id: { from: 'schacPersonalUniqueCode', extract: '^urn:schac:personalUniqueCode:int:esi:example\\.edu:(.+)$', pick: 'one' } },
      }],
      surveys: [{
        id: 'course-eval', url: survey!.url, audience: AUDIENCE, scopes: ['student.read'], require: { affiliation: ['student'] },
        release: ['displayName', 'affiliation', 'mail', 'student_id'], origins: [survey!.origin],
      }],
      upstreams: [{
        id: 'sis', name: 'Student information system', audience: AUDIENCE, provider: 'generic-oauth2', grant: 'client_credentials',
        api_base_url: sis!.apiBase, token_url: sis!.tokenUrl, client_id: CLIENTS.machine.id, client_secret_file: sisSecret, scopes: ['records:read'],
        resource: RECORDS_RESOURCE, cors_origins: [survey!.origin],
        routes: [{ id: 'my-record', method: 'GET', path: '/me', upstream_path: '/students/{claims.student_id}', scope: 'student.read', response_fields: ['student_id', 'name', 'program'] }],
      }],
    };
  });
  await idp!.reconfigure([{ entityId: `${sts.issuer}/saml/metadata`, acsUrl: `${sts.issuer}/saml/acs`, nameIdFormat: 'persistent' }]);
});

afterAll(async () => {
  // Each one is stopped even when another fails to.
  const results = await Promise.allSettled([browser?.close(), sts?.stop(), survey?.stop(), idp?.stop(), demo?.stop(), sis?.stop()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

/** Problems the page reported (CSP violations, script errors): a clean flow has none. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

describe('the launch in a real browser', () => {
  it('campus-sts → SimpleSAMLphp login form → ACS (cross-site POST) → survey page that redeems over CORS and reads its own SIS record', async () => {
    const page = await freshPage(browser!);
    await page.goto(`${sts!.issuer}/launch/course-eval`);
    await page.waitForURL(`${idp!.baseUrl}/**`);
    await page.locator('input[name=username]').fill(STUDENT.username);
    await page.locator('input[name=password]').fill(STUDENT.password);
    await screenshot(page, 'simplesamlphp-login');
    await page.locator('input[name=password]').press('Enter');

    await page.waitForURL(`${survey!.url}?sts_code=*`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe('Redeemed');
    const fields = await page.$$eval('tr[data-field]', (rows) => rows.map((r) => [(r as HTMLElement).dataset.field, r.querySelector('td')!.textContent]));
    expect(fields).toEqual([
      ['affiliation', 'member,student'],
      ['displayName', 'Alice Example'],
      ['mail', 'alice@example.edu'],
      ['student_id', 's1000001'],
      ['sub', 'alice@example.edu'],
      ['token', expect.stringMatching(/^eyJ[\w-]{7}…$/)],
      ['token_expires_at', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/)],
      ['token_expires_in', expect.stringMatching(/^(29\d|300)$/)],
    ]);
    // The IdP's real attribute, through the claim rule, reaches the student's own record and nobody else's.
    await expect.poll(() => page.locator('#record').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe('200 {"student_id":"s1000001","name":"Alice Example","program":"BSc Physics"}');
    expect(sis!.calls.map((c) => `${c.method} ${c.url} ${c.status}`)).toEqual(['GET /api/students/s1000001 200']);
    await screenshot(page, 'simplesamlphp-survey');

    const events = sts!.service.sqlite.db.select().from(auditLog).all().filter((row) => /^(saml|launch)\./.test(row.event));
    expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual(['saml.start:success', 'saml.login:success', 'launch.issue:success', 'launch.redeem:success']);
    expect(JSON.parse(events[3]!.data!)).toMatchObject({ survey: 'course-eval', origin: survey!.origin });
    await page.context().close();
  });

  it('the demo: /launch/demo-survey → persona chooser → demo survey page showing the released fields', async () => {
    const page = await freshPage(browser!);
    const problems = watchConsole(page);
    const landings: string[] = [];
    page.on('request', (r) => r.isNavigationRequest() && r.url().includes('/demo/survey?') && landings.push(r.url()));

    await page.goto(`${demo!.base}/launch/demo-survey`);
    await page.waitForURL(`${demo!.base}/demo-idp/sso?*`);
    expect(await page.locator('button.persona strong').allTextContents()).toEqual(['Alex Rivera', 'Sam Chen', 'Jordan Okafor', 'Taylor Brooks']);
    await screenshot(page, 'demo-personas');
    await page.getByRole('button', { name: /Alex Rivera/ }).click();

    await page.waitForURL(`${demo!.base}/demo/survey`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe('Signed in as Alex Rivera.');
    const rows = await page.$$eval('#fields tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)));
    expect(rows).toEqual([
      ['sub', 'alex.rivera@demo.campus-sts.test'],
      ['displayName', 'Alex Rivera'],
      ['affiliation', 'member,student'],
      ['mail', 'alex.rivera@demo.campus-sts.test'],
      ['student_id', 's1024'],
      ['token', expect.stringMatching(/^eyJ[\w-]{13}… \(\d{3,4} characters; kept by the survey, not shown\)$/)],
      ['token_expires_at', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/)],
      ['token_expires_in', expect.stringMatching(/^(29\d|300) s$/)],
    ]);
    const shot = await screenshot(page, 'demo-survey');
    // The README's screenshot: refreshed on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(shot, join(process.cwd(), 'docs', 'demo-launch.png'));
    expect(problems).toEqual([]);

    // The code left the address bar; opening the landing URL again shows that it is spent.
    expect(landings).toHaveLength(1);
    await page.goto(landings[0]!);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe(
      `This launch code is invalid, expired or already used (codes work once, for about a minute). Open the survey link again: ${demo!.base}/launch/demo-survey`,
    );
    await page.context().close();
  });

  it('the demo: the auditor persona opens the audit console at /admin/audit', async () => {
    const page = await freshPage(browser!);
    const problems = watchConsole(page);
    await page.goto(`${demo!.base}/admin/audit`);
    await page.waitForURL(`${demo!.base}/demo-idp/sso?*`);
    await page.getByRole('button', { name: /Taylor Brooks/ }).click();
    await page.waitForURL(`${demo!.base}/admin/audit`);
    await expect.poll(() => page.locator('header.top .who').innerText()).toMatch(/Signed in as taylor\.brooks@demo\.campus-sts\.test \(auditor\)/);
    await expect.poll(() => page.locator('#status-h + p').innerText()).toMatch(/^✓ Chain verified up to row \d+/);
    // The launch above is in the log the auditor reviews.
    expect(await page.locator('tbody tr td:nth-child(5)').allTextContents()).toContain('alex.rivera@demo.campus-sts.test');
    await screenshot(page, 'demo-audit');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
