// Real headless Chromium (Debian's /usr/bin/chromium through playwright-core) for the dashboard
// tests. Each session gets a fresh profile, records every dialog, console error and CSP
// violation, and blocks any request that leaves the page's origin (and remembers it), so a test
// can assert the page stayed on its collector.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.mjs';

export { CHROMIUM, CHROMIUM_ARGS };

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Messages of every alert/confirm/prompt that opened (each is dismissed). */
  dialogs: string[];
  /** URLs requested outside the origin (each was aborted). */
  foreign: string[];
  /** Console errors and uncaught exceptions (CSP violations are reported here too). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Opens Chromium on a fresh profile for pages of `origin`.
 * @example
 * const b = await openBrowser(server.url, { colorScheme: 'dark', width: 375 });
 * await b.page.goto(`${server.url}/dashboard/demo`);
 */
export async function openBrowser(
  origin: string,
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; timezoneId?: string } = {},
): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}; install it with \`apt-get install chromium\` (scripts/system-deps.sh)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'apilens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    timezoneId: options.timezoneId ?? 'UTC',
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const session: BrowserSession = {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    dialogs: [],
    foreign: [],
    errors: [],
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
  const allowed = new URL(origin).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === allowed) {
      return route.continue();
    }
    session.foreign.push(url);
    return route.abort('blockedbyclient');
  });
  const watch = (page: Page) => {
    page.on('dialog', (dialog) => {
      session.dialogs.push(dialog.message());
      void dialog.dismiss().catch(() => {});
    });
    page.on('console', (message) => {
      if (message.type() === 'error') session.errors.push(message.text());
    });
    page.on('pageerror', (err) => session.errors.push(`uncaught: ${err.message}`));
  };
  watch(session.page);
  context.on('page', watch);
  return session;
}
