import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { launchChromium } from '../support/browser/chromium.js';
import { startStsServer, type StsServer } from '../support/browser/sts-server.js';
import { eduPersonUser, startSimpleSamlIdp, type SimpleSamlIdp } from '../support/simplesamlphp/idp.js';
import { loginAtIdp } from '../support/simplesamlphp/login.js';
import { AppBrowser, ACS_URL, PEOPLE, registerSp, samlOverrides } from '../helpers/saml.js';
import { startTestService, type TestService } from '../helpers/service.js';

/** Console entitlements, as an IdP would release them in eduPersonEntitlement. */
export const ENTITLEMENT = {
  auditor: 'urn:mace:example.edu:campus-sts:auditor',
  admin: 'urn:mace:example.edu:campus-sts:admin',
} as const;

/** Console users at the real IdP: an auditor, an admin, and staff with an unrelated entitlement. */
export const CONSOLE_PEOPLE = {
  auditor: eduPersonUser({ username: 'carol', password: 'carol-pw', affiliations: ['member', 'staff'], displayName: 'Carol Auditor', entitlements: [ENTITLEMENT.auditor] }),
  admin: eduPersonUser({ username: 'dave', password: 'dave-pw', affiliations: ['member', 'staff'], displayName: 'Dave Admin', entitlements: [ENTITLEMENT.auditor, ENTITLEMENT.admin] }),
  nobody: eduPersonUser({ username: 'erin', password: 'erin-pw', affiliations: ['member', 'staff'], entitlements: ['urn:mace:dir:entitlement:common-lib-terms'] }),
};

export function startConsoleIdp(): Promise<SimpleSamlIdp> {
  return startSimpleSamlIdp({ sps: [], users: [...Object.values(PEOPLE), ...Object.values(CONSOLE_PEOPLE)] });
}

/** The SAML test config plus an `admin` section granting the two roles by entitlement. */
export function consoleOverrides(idp: SimpleSamlIdp, admin: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const saml = samlOverrides(idp);
  return (dir: string) => ({
    ...saml(dir),
    admin: { roles: { auditor: [ENTITLEMENT.auditor], admin: [ENTITLEMENT.admin] }, ...admin },
    ...extra,
  });
}

/**
 * The console IdP and an in-process campus-sts that trusts it (and is registered at it): the console's HTTP tests.
 * `admin` is merged into the config's admin section; the clock starts at `startAt` (default: this whole second).
 */
export async function startConsoleService(opts: { admin?: Record<string, unknown>; startAt?: Date } = {}): Promise<{ idp: SimpleSamlIdp; s: TestService }> {
  const idp = await startConsoleIdp();
  try {
    const s = await startTestService({ startAt: opts.startAt ?? wholeSecondNow(), overrides: consoleOverrides(idp, opts.admin) });
    await registerSp(idp, s);
    return { idp, s };
  } catch (err) {
    await idp.stop();
    throw err;
  }
}

export interface SignedIn {
  browser: AppBrowser;
  csrf: string;
  /** The ACS answer (303 to the console on success). */
  acs: Response;
}

/** Signs a person in to the console through the real IdP, as a browser would (cookies carried by AppBrowser). */
export async function consoleSignIn(s: TestService, person: { username: string; password: string }, returnTo?: string): Promise<SignedIn> {
  const browser = new AppBrowser(s);
  const start = await browser.request(`/admin/login${returnTo ? `?return=${encodeURIComponent(returnTo)}` : ''}`);
  expect(start.status, await start.clone().text()).toBe(303);
  const posted = await loginAtIdp(start.headers.get('location')!, person);
  expect(posted.acsUrl).toBe(ACS_URL);
  const acs = await browser.postForm('/saml/acs', { SAMLResponse: posted.SAMLResponse, ...(posted.RelayState ? { RelayState: posted.RelayState } : {}) });
  let csrf = '';
  if (acs.status === 303) {
    const session = await browser.request('/admin/api/session');
    if (session.status === 200) csrf = ((await session.json()) as { csrf_token: string }).csrf_token;
  }
  return { browser, csrf, acs };
}

/** A console test file's service with its auditor (carol) and admin (dave) signed in. */
export interface ConsoleWithStaff {
  readonly s: TestService;
  readonly auditor: SignedIn;
  readonly admin: SignedIn;
}

/**
 * Registers a test file's hooks: `startConsoleService` and the two sign-ins before its tests, the service and its
 * IdP stopped after them. Read the fields inside tests and hooks (they are set once the hooks have run).
 */
export function consoleWithStaff(): ConsoleWithStaff {
  let started: { idp: SimpleSamlIdp; s: TestService } | undefined;
  let auditor: SignedIn;
  let admin: SignedIn;
  beforeAll(async () => {
    started = await startConsoleService();
    auditor = await consoleSignIn(started.s, CONSOLE_PEOPLE.auditor);
    admin = await consoleSignIn(started.s, CONSOLE_PEOPLE.admin);
  });
  afterAll(async () => {
    started?.s.stop();
    await started?.idp.stop();
  });
  return {
    get s() {
      return started!.s;
    },
    get auditor() {
      return auditor;
    },
    get admin() {
      return admin;
    },
  };
}

/** The real IdP uses the real clock; ours is fixed at the whole second. */
export const wholeSecondNow = () => new Date(Math.floor(Date.now() / 1000) * 1000);

/** Chromium, the console IdP (SimpleSAMLphp) and a real campus-sts that trusts it: the console's browser tests. */
export interface ConsoleBrowserWorld {
  browser: Browser;
  idp: SimpleSamlIdp;
  sts: StsServer;
  stop(): Promise<void>;
}

/**
 * Starts the three, with the console's roles and IdP; `extra(dir)` adds the test's own config (audiences, surveys,
 * `saml` settings merged over the keys folder). Whatever started is stopped again when a part fails to start.
 */
export async function startConsoleBrowserWorld(extra: (dir: string) => Record<string, unknown>, clock?: Clock): Promise<ConsoleBrowserWorld> {
  const started = await Promise.allSettled([launchChromium(), startConsoleIdp()]);
  const [chromium, consoleIdp] = started;
  const stopAll = (sts?: StsServer) =>
    Promise.allSettled([chromium.status === 'fulfilled' && chromium.value.close(), sts?.stop(), consoleIdp.status === 'fulfilled' && consoleIdp.value.stop()]);
  if (chromium.status === 'rejected' || consoleIdp.status === 'rejected') {
    await stopAll();
    throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const [browser, idp] = [chromium.value, consoleIdp.value];
  let sts: StsServer | undefined;
  try {
    sts = await startStsServer((_issuer, dir) => {
      const metadata = join(dir, 'idp-metadata.xml');
      writeFileSync(metadata, idp.metadataXml);
      const { saml, ...rest } = extra(dir) as { saml?: Record<string, unknown> };
      return {
        saml: { keys_dir: join(dir, 'certs'), ...saml },
        idps: [{ id: 'campus', metadata: { file: metadata }, signed: 'both', allow_cbc_encryption: true, subject: { source: 'eppn' } }],
        admin: { roles: { auditor: [ENTITLEMENT.auditor], admin: [ENTITLEMENT.admin] } },
        ...rest,
      };
    }, clock);
    await idp.reconfigure([{ entityId: `${sts.issuer}/saml/metadata`, acsUrl: `${sts.issuer}/saml/acs`, nameIdFormat: 'persistent' }]);
  } catch (err) {
    await stopAll(sts);
    throw err;
  }
  const running = sts;
  return {
    browser,
    idp,
    sts: running,
    async stop() {
      const failed = (await stopAll(running)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** The screen the console's browser tests (and their screenshots) use: a laptop's. */
export const LAPTOP_VIEWPORT = { width: 1366, height: 768 };

/**
 * Collects what the page logs as errors of ours: CSP violations, script errors, failed loads from `origin`. The
 * IdP's own favicon 404s are not ours to judge. The list fills as the page runs.
 */
export function pageErrorsOf(page: Page, origin: string): string[] {
  const problems: string[] = [];
  const othersLoad = (m: ConsoleMessage) => m.text().startsWith('Failed to load resource') && !m.location().url.startsWith(`${origin}/`);
  page.on('console', (m) => m.type() === 'error' && !othersLoad(m) && problems.push(`${m.text()} ${m.location().url}`));
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** Opens the review page, is sent to the IdP (another site), signs in there as the auditor and lands back on it. */
export async function signInAsAuditor(page: Page, world: ConsoleBrowserWorld): Promise<void> {
  await page.goto(`${world.sts.issuer}/admin/audit`);
  await page.waitForURL(`${world.idp.baseUrl}/**`);
  await page.locator('input[name=username]').fill(CONSOLE_PEOPLE.auditor.username);
  await page.locator('input[name=password]').fill(CONSOLE_PEOPLE.auditor.password);
  await Promise.all([page.waitForURL(`${world.sts.issuer}/admin/audit`), page.locator('input[name=password]').press('Enter')]);
}
