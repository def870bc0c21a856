import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema } from '../../src/db/pg/harness.contract.js';
import { freshPage, launchChromium, screenshot, STEP_TIMEOUT_MS } from '../support/browser/chromium.js';
import { startSurveyOrigin, type SurveyOrigin } from '../support/browser/survey-origin.js';
import { startHaDeployment, type HaDeployment } from '../support/ha/deployment.js';
import { eduPersonUser, startSimpleSamlIdp, type SimpleSamlIdp } from '../support/simplesamlphp/idp.js';

/**
 * The launch of test/e2e/browser-launch.test.ts, in Chromium, against the reference deployment: two real
 * campus-sts processes on PostgreSQL behind HAProxy (deploy/haproxy.cfg), at http://localhost:P1. The balancer
 * spreads the flow's requests over both instances, so the pending login, the login-binding cookie's nonce, the
 * SAML replay record and the launch code written by one instance must be found by the other.
 */
const STUDENT = eduPersonUser({ username: 'alice', password: 'alice-pw', affiliations: ['member', 'student'], displayName: 'Alice Example', mail: 'alice@example.edu' });
const AUDIENCE = 'https://sis.example.edu';

let browser: Browser | undefined;
let idp: SimpleSamlIdp | undefined;
let survey: SurveyOrigin | undefined;
let target: Awaited<ReturnType<typeof createTestSchema>> | undefined;
let ha: HaDeployment | undefined;

beforeAll(async () => {
  // allSettled: whatever did start is assigned (and stopped by afterAll) even when something else failed to.
  const started = await Promise.allSettled([
    launchChromium().then((b) => (browser = b)),
    startSimpleSamlIdp({ sps: [], users: [STUDENT] }).then((i) => (idp = i)),
    createTestSchema().then((t) => (target = t)),
  ]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  survey = await startSurveyOrigin(() => ha!.issuer);
  ha = await startHaDeployment({
    postgres: target!,
    host: 'localhost',
    overrides: (_issuer, dir) => {
      const metadata = join(dir, 'idp-metadata.xml');
      writeFileSync(metadata, idp!.metadataXml);
      return {
        saml: { keys_dir: join(dir, 'certs') },
        idps: [{ id: 'campus', metadata: { file: metadata }, signed: 'both', subject: { source: 'eppn' } }],
        surveys: [{
          id: 'course-eval', url: survey!.url, audience: AUDIENCE, scopes: ['student.read'], require: { affiliation: ['student'] },
          release: ['displayName', 'affiliation', 'mail'], origins: [survey!.origin],
        }],
      };
    },
  });
  await idp!.reconfigure([{ entityId: `${ha.issuer}/saml/metadata`, acsUrl: `${ha.issuer}/saml/acs`, nameIdFormat: 'persistent' }]);
}, 90_000);

afterAll(async () => {
  const results = await Promise.allSettled([browser?.close(), ha?.stop(), survey?.stop(), idp?.stop()]);
  await target?.drop();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

async function launchEvents(): Promise<{ event: string; outcome: string }[]> {
  const client = new pg.Client({ connectionString: target!.url, options: `-c search_path=${target!.schema}` });
  await client.connect();
  try {
    return (await client.query<{ event: string; outcome: string }>(`SELECT event, outcome FROM audit_log WHERE event ~ '^(saml|launch)\\.' ORDER BY id`)).rows;
  } finally {
    await client.end();
  }
}

describe('the launch in a real browser, through HAProxy, two instances on PostgreSQL', () => {
  it('campus-sts → SimpleSAMLphp login form → ACS (cross-site POST) → survey page that redeems over CORS', async () => {
    const before = await ha!.balancer.servers();
    const page = await freshPage(browser!);
    await page.goto(`${ha!.issuer}/launch/course-eval`);
    await page.waitForURL(`${idp!.baseUrl}/**`);
    await page.locator('input[name=username]').fill(STUDENT.username);
    await page.locator('input[name=password]').fill(STUDENT.password);
    await page.locator('input[name=password]').press('Enter');

    await page.waitForURL(`${survey!.url}?sts_code=*`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe('Redeemed');
    const fields = await page.$$eval('tr[data-field]', (rows) => rows.map((r) => [(r as HTMLElement).dataset.field, r.querySelector('td')!.textContent]));
    expect(fields).toEqual([
      ['affiliation', 'member,student'],
      ['displayName', 'Alice Example'],
      ['mail', 'alice@example.edu'],
      ['sub', 'alice@example.edu'],
      ['token', expect.stringMatching(/^eyJ[\w-]{7}…$/)],
      ['token_expires_at', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/)],
      ['token_expires_in', expect.stringMatching(/^(29\d|300)$/)],
    ]);
    await screenshot(page, 'ha-survey');
    await page.context().close();

    expect((await launchEvents()).map((e) => `${e.event}:${e.outcome}`)).toEqual(['saml.start:success', 'saml.login:success', 'launch.issue:success', 'launch.redeem:success']);
    // Both instances answered part of the flow (HAProxy balances each request, keep-alive or not).
    const after = await ha!.balancer.servers();
    for (const instance of ha!.instances) expect(after[instance.name]!.total, instance.name).toBeGreaterThan(before[instance.name]!.total);
  });
});
