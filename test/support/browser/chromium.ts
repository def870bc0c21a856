// Debian's chromium driven by playwright-core: headless, no sandbox (we run as root in CI), no background
// traffic of its own (updates, sync, QUIC probing), and a fresh profile per launch, so nothing but the test's
// loopback requests leaves the browser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
] as const;
/** Every wait in a browser test is bounded by this (ms). */
export const STEP_TIMEOUT_MS = 10_000;

/** playwright keeps the profile in a fresh temporary user-data dir and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS], timeout: STEP_TIMEOUT_MS });
}

/** A new, empty browser context (no cookies, no cache) with bounded waits. */
export async function freshContext(browser: Browser, options: BrowserContextOptions): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return context;
}

/** A page in a fresh context. */
export async function freshPage(browser: Browser): Promise<Page> {
  return (await freshContext(browser, { viewport: { width: 900, height: 720 } })).newPage();
}

const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'browser-launch');

/** Saves a full-page PNG under test-results/browser-launch/ (git-ignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
