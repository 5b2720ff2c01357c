// Screenshots of the dashboard for the READMEs (docs/screenshots/): the demo dashboard in light
// and dark at laptop (1440 px) and phone (375 px) width, and the landing page. Runs the built
// collector with its demo data on a temporary database, in Debian's headless Chromium.
//   pnpm build && node scripts/screenshots.mjs
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const { buildServer } = await import(pathToFileURL(join(root, 'packages/server/dist/index.mjs')).href);

const tmp = mkdtempSync(join(tmpdir(), 'apilens-shots-'));
const app = buildServer({ db: join(tmp, 'apilens.duckdb'), demo: true, logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${app.server.address().port}`;
await app.apilensDemo.ready();

const shots = [
  { name: 'dashboard-light', path: '/dashboard/demo', width: 1440, height: 1760, scheme: 'light' },
  { name: 'dashboard-dark', path: '/dashboard/demo', width: 1440, height: 1760, scheme: 'dark' },
  { name: 'dashboard-phone-light', path: '/dashboard/demo', width: 375, height: 1500, scheme: 'light' },
  { name: 'dashboard-phone-dark', path: '/dashboard/demo', width: 375, height: 1500, scheme: 'dark' },
  { name: 'landing', path: '/', width: 1440, height: 1100, scheme: 'light' },
];
for (const shot of shots) {
  const profile = mkdtempSync(join(tmpdir(), 'apilens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: shot.width, height: shot.height },
    colorScheme: shot.scheme,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  const page = context.pages()[0];
  await page.goto(url + shot.path);
  if (shot.path.startsWith('/dashboard')) {
    await page.locator('[data-state=ready]').waitFor();
    await page.locator('[data-card=countries] svg[role=img]').waitFor();
  } else {
    await page.getByRole('heading', { level: 1 }).waitFor();
  }
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `${shot.name}.png`) });
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  console.log(`docs/screenshots/${shot.name}.png`);
}
await app.close();
rmSync(tmp, { recursive: true, force: true });
