import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import { auditLog } from '../../src/db/schema/audit-log.js';
import { ADMIN_CSP } from '../../src/admin/views/layout.js';
import { freshContext } from '../support/browser/chromium.js';
import type { StsServer } from '../support/browser/sts-server.js';
import { LAPTOP_VIEWPORT, pageErrorsOf, signInAsAuditor, startConsoleBrowserWorld, type ConsoleBrowserWorld } from './admin-helpers.js';

/**
 * The review page's activity chart in a real browser (Debian chromium, headless): a day of history with a spike of
 * refusals, charted per hour for the time range an auditor types into the filters; the chart's table alternative
 * counts exactly; the spike's bar is a link that narrows the filter to its hour and to refused rows. No script
 * runs and the CSP is never broken. The panel's screenshot goes to test-results/admin-audit/ (and docs/).
 */
const SHOTS = join(process.cwd(), 'test-results', 'admin-audit');

let world: ConsoleBrowserWorld | undefined;

beforeAll(async () => {
  world = await startConsoleBrowserWorld(() => ({
    audiences: [{ id: 'https://sis.example.edu', scopes: ['student.read'] }],
  }));
  await writeDay(world.sts);
});

afterAll(() => world?.stop());

const DAY = '2026-03-10';
const token = (outcome: 'success' | 'refused', clientId: string): AuditEvent =>
  ({ event: 'token.issue', outcome, clientId, data: { grant_type: 'client_credentials', ...(outcome === 'refused' ? { error: 'invalid_client' } : {}) } }) as AuditEvent;
const login = (outcome: 'success' | 'refused'): AuditEvent => ({ event: 'saml.login', outcome, data: { idp: 'campus', purpose: 'launch' } }) as AuditEvent;
const call: AuditEvent = { event: 'upstream.call', outcome: 'success', data: { upstream: 'sis', method: 'GET', status: 200, upstream_status: 200, latency_ms: 40 } };
const refreshFailed: AuditEvent = { event: 'upstream.refresh', outcome: 'error', reason: 'network: timeout', data: { upstream: 'sis', grant: 'refresh_token', error: 'timeout' } };

/** One day on a campus, written with its times (minutes past the hour, so each row falls in its hour). */
async function writeDay(server: StsServer): Promise<void> {
  const hours: [number, AuditEvent, number][] = [
    [8, token('success', 'survey:course-eval'), 3],
    [9, login('success'), 2],
    [9, token('success', 'survey:course-eval'), 5],
    [10, token('success', 'survey:course-eval'), 4],
    [10, call, 3],
    [11, token('success', 'survey:course-eval'), 6],
    [11, call, 2],
    // The spike: a client with a stale secret retrying, and two refused sign-ins.
    [12, token('refused', 'survey:old-export'), 9],
    [12, login('refused'), 2],
    [12, token('success', 'survey:course-eval'), 1],
    [14, token('success', 'survey:course-eval'), 3],
    [14, refreshFailed, 1],
    [15, login('refused'), 1],
  ];
  await server.service.audit.commit(async (tx) => {
    for (const [hour, event, times] of hours)
      for (let i = 0; i < times; i++) await server.service.audit.append(tx, event, new Date(`${DAY}T${String(hour).padStart(2, '0')}:${String(5 + i * 5).padStart(2, '0')}:00Z`));
  });
}

async function signIn(): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await freshContext(world!.browser, { viewport: LAPTOP_VIEWPORT });
  const page = await context.newPage();
  const problems = pageErrorsOf(page, world!.sts.issuer);
  await signInAsAuditor(page, world!);
  return { page, problems, close: () => context.close() };
}

/** The chart's table alternative, cell by cell. */
const tableRows = (page: Page) =>
  page.locator('#activity-table tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent!.trim())));

describe('activity chart on the review page, in a real browser', () => {
  it('charts a typed time range per hour, counts exactly, and a refusal spike filters to its rows', async () => {
    const { page, problems, close } = await signIn();

    // Unfiltered, the log spans months (that day; start-up and the sign-in just now): the newest days, per day.
    const recent = world!.sts.service.sqlite.db.select().from(auditLog).all().filter((r) => !r.at.toISOString().startsWith(DAY));
    expect(recent.every((r) => r.outcome === 'success')).toBe(true);
    expect(await page.locator('#activity-summary').innerText()).toMatch(
      new RegExp(`^Per day, \\d{4}-\\d\\d-\\d\\d 00:00 to \\d{4}-\\d\\d-\\d\\d 00:00 UTC: ${recent.length} granted, 0 refused, 0 failed\\. .* Only the newest 60 days are drawn: set From and To for an earlier period\\.$`),
    );
    await page.locator('section[aria-labelledby="activity-h"]').screenshot({ path: join(SHOTS, 'activity-chart-days.png') });

    // The auditor types the day's working hours into the filters (UTC, as the labels say).
    await page.getByLabel('From (UTC)').fill(`${DAY}T06:00`);
    await page.getByLabel('To (UTC, exclusive)').fill(`${DAY}T18:00`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/admin/audit?')), page.getByRole('button', { name: 'Apply filters' }).click()]);
    expect(response.headers()['content-security-policy']).toBe(ADMIN_CSP);
    expect(ADMIN_CSP).not.toContain('unsafe');
    const html = await response.text();
    expect(html).not.toMatch(/<script|\sstyle=|javascript:|\son[a-z]+=/i);

    expect(await page.locator('#activity-summary').innerText()).toBe(
      `Per hour, ${DAY} 06:00 to ${DAY} 18:00 UTC: 29 granted, 12 refused, 1 failed. Granted rows above the line, refused below (each side on its own scale); select a refused bar to list its rows.`,
    );
    const svg = page.locator('svg.activity');
    expect(await svg.getAttribute('aria-label')).toBe(`Rows per hour, ${DAY} 06:00 to ${DAY} 18:00 UTC: 29 granted, 12 refused, 1 failed. Granted rows above the line, refused and failed below, by event family.`);
    expect(await svg.locator('> title').textContent()).toBe(await svg.getAttribute('aria-label'));
    expect(await page.locator('ul.legend li').allInnerTexts()).toEqual(['saml', 'token', 'upstream', 'failed (error), any family']);
    // Twelve hourly bars' worth of width; the table leaves the quiet hours out.
    expect(await tableRows(page)).toEqual([
      [`${DAY} 08:00–09:00`, '3', '0', '0', 'token: 3 granted'],
      [`${DAY} 09:00–10:00`, '7', '0', '0', 'saml: 2 granted; token: 5 granted'],
      [`${DAY} 10:00–11:00`, '7', '0', '0', 'token: 4 granted; upstream: 3 granted'],
      [`${DAY} 11:00–12:00`, '8', '0', '0', 'token: 6 granted; upstream: 2 granted'],
      [`${DAY} 12:00–13:00`, '1', '11', '0', 'saml: 2 refused; token: 1 granted, 9 refused'],
      [`${DAY} 14:00–15:00`, '3', '0', '1', 'token: 3 granted; upstream: 1 failed'],
      [`${DAY} 15:00–16:00`, '0', '1', '0', 'saml: 1 refused'],
    ]);
    expect(await page.locator('#activity-table caption').textContent()).toBe('Rows per hour (UTC) matching the filters; hours without rows are left out');
    expect(await svg.locator('a').count()).toBe(2);

    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'activity-chart.png');
    await page.locator('section[aria-labelledby="activity-h"]').screenshot({ path: shot });
    // The README's screenshot: refreshed on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
    const readmeShot = join(process.cwd(), 'docs', 'audit-activity.png');
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(readmeShot)) copyFileSync(shot, readmeShot);

    // The spike's bar is a link to its hour's refused rows: the next stop after the filters' last control, its
    // column visibly marked while focused.
    const spike = svg.getByRole('link', { name: `Show the 11 refused rows of ${DAY} 12:00–13:00 UTC` });
    expect(await spike.getAttribute('href')).toBe(`/admin/audit?from=${DAY}T12%3A00%3A00.000Z&to=${DAY}T13%3A00%3A00.000Z&outcome=refused`);
    await page.locator('#export-jsonl').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Show the 11 refused rows of ${DAY} 12:00–13:00 UTC`);
    expect(await spike.locator('.hit').evaluate((r) => getComputedStyle(r).stroke)).toBe('rgb(207, 34, 46)');
    await spike.click();
    await page.waitForURL(/outcome=refused/);
    const rows = await page.locator('table:has(#rows-caption) tbody tr').evaluateAll((trs) => trs.map((r) => `${r.children[2]!.textContent}:${r.children[3]!.textContent}`));
    expect(rows).toEqual([...Array(2).fill('saml.login:refused'), ...Array(9).fill('token.issue:refused')]);
    expect(await page.getByLabel('From (UTC)').inputValue()).toBe(`${DAY}T12:00`);
    expect(await page.getByLabel('To (UTC, exclusive)').inputValue()).toBe(`${DAY}T13:00`);
    expect(await page.getByLabel('Outcome').inputValue()).toBe('refused');
    expect(await page.locator('#activity-summary').innerText()).toMatch(new RegExp(`^Per hour, ${DAY} 12:00 to ${DAY} 13:00 UTC: 0 granted, 11 refused, 0 failed\\.`));

    // Narrowed to one client, a spike link keeps that filter too.
    await page.getByLabel('Client').fill('survey:old-export');
    await page.getByLabel('Client').press('Enter');
    await page.waitForURL(/client=survey%3Aold-export/);
    expect(await tableRows(page)).toEqual([[`${DAY} 12:00–13:00`, '0', '9', '0', 'token: 9 refused']]);
    expect(await page.locator('#activity-table a').getAttribute('href')).toBe(`/admin/audit?from=${DAY}T12%3A00%3A00.000Z&to=${DAY}T13%3A00%3A00.000Z&client=survey%3Aold-export&outcome=refused`);

    expect(problems).toEqual([]);
    await close();
  });
});
