// The dashboard page in a real headless Chromium against a running collector with seeded data.
// Expected figures are computed here by brute force over the rows the test sent, never taken
// from the code under test; the page must agree with them and with the API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, openBrowser } from '../../../test-utils/browser.js';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import { freshStore, generateKey, ingest, startServer, type TestServer } from './harness.js';

const HOUR = 3_600_000;
const DIST = `${packageDir('dashboard')}/dist`;

// IPs the bundled GeoIP database places in these countries; user agents and what they parse to.
const PLACES = [
  { ip: '167.4.40.', country: 'US', name: 'United States' },
  { ip: '18.198.132.', country: 'DE', name: 'Germany' },
  { ip: '91.151.248.', country: 'GB', name: 'United Kingdom' },
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const ENDPOINTS = [
  { method: 'GET', route: '/items/:id', path: (i: number) => `/items/${i}` },
  { method: 'POST', route: '/orders', path: () => '/orders' },
  { method: 'GET', route: '/health', path: () => '/health' },
];
const STATUSES = [200, 200, 200, 201, 404, 500];

interface Sent {
  method: string;
  route: string;
  path: string;
  status: number;
  country: string;
  ip: string;
  agent: string;
  userId: string | null;
  at: number;
}

function rows(n: number, now: number, seed: number): Sent[] {
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const e = ENDPOINTS[Math.floor(r() * ENDPOINTS.length)]!;
    const p = PLACES[Math.floor(r() * PLACES.length)]!;
    return {
      method: e.method,
      route: e.route,
      path: e.path(i),
      status: STATUSES[Math.floor(r() * STATUSES.length)]!,
      country: p.country,
      ip: `${p.ip}${1 + Math.floor(r() * 200)}`,
      agent: AGENTS[Math.floor(r() * AGENTS.length)]!,
      userId: r() < 0.5 ? `u${Math.floor(r() * 40)}` : null,
      // Well inside the last 7 days, away from the period's edges.
      at: now - 2 * HOUR - Math.floor(r() * 140 * HOUR),
    };
  });
}

async function send(url: string, apiKey: string, list: Sent[], extra: Record<string, unknown> = {}) {
  const requests = list.map((x) => ({
    hostname: 'api.example.com',
    ip_address: x.ip,
    path: x.path,
    route: x.route,
    user_agent: x.agent,
    method: x.method,
    status: x.status,
    response_time: 10 + (x.at % 90),
    user_id: x.userId,
    created_at: new Date(x.at).toISOString(),
    ...extra,
  }));
  const res = await ingest(url, { api_key: apiKey, framework: 'Express', privacy_level: 0, requests });
  expect(res.status).toBe(200);
  expect(res.json.accepted).toBe(list.length);
}

const grouped = (n: number) => new Intl.NumberFormat('en').format(n);
const tally = <T>(list: T[], key: (x: T) => string) => {
  const m = new Map<string, number>();
  for (const x of list) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

let server: TestServer;
let cleanup: () => Promise<void>;
let b: BrowserSession;
let key: { api_key: string; dashboard_id: string };
let sent: Sent[];
const now = Date.now();

beforeAll(async () => {
  await ensureBuilt(['dashboard']);
  const s = await freshStore('DuckDB');
  cleanup = s.cleanup;
  server = await startServer(s.store, { dashboardDir: DIST });
  key = await generateKey(server.url);
  sent = rows(1500, now, 42);
  await send(server.url, key.api_key, sent);
  b = await openBrowser(server.url);
}, 240_000);

afterAll(async () => {
  await b?.close();
  await server?.close();
  await cleanup?.();
});

const page = () => b.page;
const dashboard = (query = '') => `${server.url}/dashboard/${key.dashboard_id}${query}`;

async function ready() {
  await page().locator('[data-state=ready]').waitFor();
  await page().locator('[data-card=countries] svg[role=img]').waitFor();
}

/** Rows of a bar-list card: label → count, read from the page. */
async function listCounts(card: string): Promise<Map<string, number>> {
  const items = await page()
    .locator(`[data-card=${card}] li button`)
    .evaluateAll((buttons) =>
      buttons.map((el) => [
        el.querySelector('.label')?.textContent?.trim() ?? '',
        Number((el.querySelector('.value')?.textContent ?? '').replaceAll(',', '')),
      ]),
    );
  return new Map(items as Array<[string, number]>);
}

async function tileValue(card: string): Promise<string> {
  return ((await page().locator(`[data-card=${card}] [data-value]`).textContent()) ?? '').trim();
}

/** Every card agrees with a brute-force count over `expected`. */
async function expectCards(expected: Sent[]) {
  expect(await tileValue('requests')).toBe(grouped(expected.length));
  const users = new Set(expected.map((x) => x.userId ?? x.ip)).size;
  expect(await tileValue('users')).toBe(grouped(users));
  const ok = expected.filter((x) => x.status < 400).length;
  const success = (ok / expected.length) * 100;
  expect(await tileValue('success')).toBe(success % 100 === 0 ? `${success}%` : `${success.toFixed(1)}%`);
  expect(await listCounts('status')).toEqual(
    new Map([...tally(expected, (x) => String(x.status))].sort((a, b) => b[1] - a[1])),
  );
  const names = new Map(PLACES.map((p) => [p.country, p.name]));
  expect(await listCounts('countries')).toEqual(
    new Map([...tally(expected, (x) => names.get(x.country)!)].sort((a, b) => b[1] - a[1])),
  );
  const browsers = await listCounts('browsers');
  expect([...browsers.values()].reduce((a, c) => a + c, 0)).toBe(expected.length);
  const endpoints = await page()
    .locator('[data-card=endpoints] tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [
        tr.querySelector('.path')?.textContent ?? '',
        Number(tr.querySelector('.req')?.textContent?.replaceAll(',', '')),
      ]),
    );
  expect(new Map(endpoints as Array<[string, number]>)).toEqual(tally(expected, (x) => x.route));
  // The heatmap's cells (screen-reader text) add up to the period's requests.
  const cells = await page()
    .locator('[data-card=heatmap] td .sr-only')
    .evaluateAll((els) => els.reduce((s, el) => s + Number(el.textContent?.replaceAll(',', '')), 0));
  expect(cells).toBe(expected.length);
}

describe('the dashboard page', () => {
  it('draws every card with the figures of the rows sent, matching the API', async () => {
    await page().goto(dashboard());
    await ready();
    await expectCards(sent);
    const api = await (
      await fetch(`${server.url}/api/dashboard/${key.dashboard_id}?period=7d&tz=UTC`)
    ).json();
    expect(api.totals.requests).toBe(sent.length);
    expect(await page().locator('[data-quantile=p95]').textContent()).toBe(`${api.totals.p95} ms`);
    expect(await page().locator('[data-card=activity] canvas').count()).toBeGreaterThanOrEqual(3);
    expect(b.foreign).toEqual([]);
  });

  it('shades the map per answer: each country with requests, its count in its title, the filtered one marked', async () => {
    /** The map's shaded countries: code → title, and the marked (active) ones. */
    const shaded = async () => {
      const paths = page().locator('[data-card=countries] svg[role=img] path');
      const has = await paths.evaluateAll((ps) =>
        ps
          .filter((p) => p.classList.contains('has'))
          .map((p) => [p.getAttribute('data-code'), p.querySelector('title')?.textContent]),
      );
      const active = await paths.evaluateAll((ps) =>
        ps.filter((p) => p.classList.contains('active')).map((p) => p.getAttribute('data-code')),
      );
      return { has: new Map(has as Array<[string, string]>), active };
    };
    const expected = (list: Sent[]) =>
      new Map(
        [...tally(list, (x) => x.country)].map(([code, n]) => [
          code,
          `${PLACES.find((p) => p.country === code)!.name} · ${grouped(n)} requests`,
        ]),
      );
    await page().goto(dashboard());
    await ready();
    expect(await shaded()).toEqual({ has: expected(sent), active: [] });
    // A click on a shape filters on its country; the next answer reshades the same shapes.
    await page().locator('[data-card=countries] path[data-code=GB]').click();
    await page().waitForURL(/country=GB/);
    await ready();
    expect(await shaded()).toEqual({ has: expected(sent.filter((x) => x.country === 'GB')), active: ['GB'] });
    await page().goBack();
    await ready();
    expect(await shaded()).toEqual({ has: expected(sent), active: [] });
  });

  it('asks for the figures once, as the visit starts, while the page loads its code', async () => {
    await page().goto(dashboard('?period=24h'));
    await ready();
    const loads = await page().evaluate(() =>
      performance.getEntriesByType('resource').map((r) => ({
        path: new URL(r.name).pathname,
        start: r.startTime,
        end: (r as PerformanceResourceTiming).responseEnd,
      })),
    );
    const api = loads.filter((r) => r.path.startsWith('/api/dashboard/'));
    expect(api).toHaveLength(1);
    const chunk = loads.find((r) => /^\/assets\/dashboard-page-[\w-]+\.js$/.test(r.path));
    expect(chunk).toBeDefined();
    // The entry sends it before it imports the page's chunk, not the page once its chunk has run.
    expect(api[0]!.start).toBeLessThanOrEqual(chunk!.start);
    // The map's chunk too: it leaves while the page's chunk is still loading, not after it ran.
    const map = loads.find((r) => /^\/assets\/_virtual_world-map-[\w-]+\.js$/.test(r.path));
    expect(map).toBeDefined();
    expect(map!.start).toBeLessThan(chunk!.end);
  });

  it("every script a dashboard visit loads after the entry starts with V8's compile hint", async () => {
    await page().goto(dashboard());
    await ready();
    const scripts = await page().evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((r) => new URL(r.name).pathname)
        .filter((p) => p.endsWith('.js')),
    );
    const entry = /<script[^>]*\bsrc="([^"]+)"/.exec(readFileSync(join(DIST, 'index.html'), 'utf8'))![1]!;
    const firstLine = (path: string) => readFileSync(join(DIST, path), 'utf8').split('\n', 1)[0];
    // The entry holds every page: compiled as it runs, not all of it ahead.
    expect(firstLine(entry)).not.toBe('//# allFunctionsCalledOnLoad');
    const after = scripts.filter((p) => p !== entry);
    // The page's chunk, the chunk it shares with the monitoring page, the map's.
    expect(after.length).toBeGreaterThanOrEqual(3);
    for (const path of after) expect(firstLine(path), path).toBe('//# allFunctionsCalledOnLoad');
  });

  it('lists every time zone once the zone picker is used; a pick shows the view in that zone', async () => {
    await page().goto(dashboard());
    await ready();
    const zone = page().getByLabel('Time zone');
    // Until then the picker holds the zone in force only (some 400 options are a slow render).
    expect(await zone.locator('option').count()).toBe(1);
    await zone.focus();
    expect(await zone.locator('option').count()).toBeGreaterThan(100);
    await zone.selectOption('Asia/Tokyo');
    await page().waitForURL(/tz=Asia%2FTokyo/);
    await ready();
    expect(await page().getByTestId('period-range').textContent()).toContain('Asia/Tokyo');
  });

  it('a click on an endpoint, a country and a status filters every card and the URL', async () => {
    await page().goto(dashboard());
    await ready();
    await page().locator('[data-card=endpoints] button', { hasText: '/items/:id' }).click();
    await page().waitForURL(/endpoint=/);
    await ready();
    let expected = sent.filter((x) => x.route === '/items/:id' && x.method === 'GET');
    await expectCards(expected);

    await page().locator('[data-card=countries] li button', { hasText: 'Germany' }).click();
    await page().waitForURL(/country=DE/);
    await ready();
    expected = expected.filter((x) => x.country === 'DE');
    await expectCards(expected);

    await page().locator('[data-card=status] li button', { hasText: '404' }).click();
    await page().waitForURL(/status=404/);
    await ready();
    expected = expected.filter((x) => x.status === 404);
    await expectCards(expected);

    const url = new URL(page().url());
    expect(Object.fromEntries(url.searchParams)).toEqual({
      method: 'GET',
      endpoint: '/items/:id',
      country: 'DE',
      status: '404',
    });
    expect(await page().locator('[data-chip]').count()).toBe(4);

    // Reload: the same view comes back from the URL alone.
    await page().reload();
    await ready();
    await expectCards(expected);
    expect(await page().locator('[data-chip]').count()).toBe(4);

    // A chip's × removes just that filter; Back brings it back.
    await page().getByRole('button', { name: 'Remove filter Status 404', exact: true }).click();
    await page().waitForURL((u) => !u.searchParams.has('status'));
    await ready();
    await expectCards(sent.filter((x) => x.route === '/items/:id' && x.country === 'DE'));
    await page().goBack();
    await ready();
    await expectCards(expected);
  });

  it('the export links carry the view and return its rows', async () => {
    await page().goto(dashboard('?country=GB&exclude404=true'));
    await ready();
    await page().getByTestId('export').click();
    const csv = await page().getByRole('link', { name: 'CSV' }).getAttribute('href');
    const q = new URL(csv!, server.url).searchParams;
    expect(q.get('format')).toBe('csv');
    expect(q.get('country')).toBe('GB');
    expect(q.get('exclude404')).toBe('true');
    const body = await (await fetch(new URL(csv!, server.url))).text();
    const lines = body.trim().split('\n');
    expect(lines.length - 1).toBe(sent.filter((x) => x.country === 'GB' && x.status !== 404).length);
    const nd = await page().getByRole('link', { name: 'NDJSON' }).getAttribute('href');
    expect(new URL(nd!, server.url).searchParams.get('format')).toBe('ndjson');
  });

  it('is usable with the keyboard: period by arrow keys, a filter by Enter', async () => {
    await page().goto(dashboard());
    await ready();
    await page().getByRole('radio', { name: '7d' }).focus();
    await page().keyboard.press('ArrowRight');
    await page().waitForURL(/period=30d/);
    await ready();
    const row = page().locator('[data-card=endpoints] button', { hasText: '/orders' });
    await row.focus();
    await page().keyboard.press('Enter');
    await page().waitForURL(/endpoint=%2Forders/);
    await ready();
    expect(await tileValue('requests')).toBe(grouped(sent.filter((x) => x.route === '/orders').length));
  });

  it('loads without layout shift, and fits a 375 px wide phone', async () => {
    const phone = await openBrowser(server.url, { width: 375, height: 800, colorScheme: 'dark' });
    try {
      await phone.page.addInitScript(() => {
        (window as unknown as { __cls: number }).__cls = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as Array<
            PerformanceEntry & { value: number; hadRecentInput: boolean }
          >) {
            if (!e.hadRecentInput) (window as unknown as { __cls: number }).__cls += e.value;
          }
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await phone.page.goto(dashboard());
      await phone.page.locator('[data-state=ready]').waitFor();
      await phone.page.locator('[data-card=countries] svg[role=img]').waitFor();
      const cls = await phone.page.evaluate(() => (window as unknown as { __cls: number }).__cls);
      expect(cls).toBeLessThan(0.1);
      const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(375);
      const bg = await phone.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(11, 13, 18)');
      expect(phone.foreign).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});

describe('dashboard states', () => {
  it('an unknown id says so', async () => {
    await page().goto(`${server.url}/dashboard/0123456789abcdef0123456789abcdef`);
    await page().getByTestId('not-found').waitFor();
    expect(await page().getByRole('heading', { level: 1 }).textContent()).toBe('No dashboard with this id');
  });

  it('a key without data shows the quick start, then its data once it arrives', async () => {
    const fresh = await generateKey(server.url);
    await page().goto(`${server.url}/dashboard/${fresh.dashboard_id}`);
    await page().getByTestId('empty').waitFor();
    expect(await page().getByRole('tab', { name: 'Express' }).count()).toBe(1);
    await send(server.url, fresh.api_key, rows(5, now, 7));
    // The empty page polls; the first requests replace it with the dashboard.
    await page().locator('[data-state=ready]').waitFor({ timeout: 15_000 });
    expect(await tileValue('requests')).toBe('5');
  });

  it('a collector that cannot answer gets its own state with a retry', async () => {
    const s = await freshStore('DuckDB');
    const broken = await startServer(s.store, { dashboardDir: DIST });
    const k = await generateKey(broken.url);
    const other = await openBrowser(broken.url);
    try {
      await s.store.close();
      await other.page.goto(`${broken.url}/dashboard/${k.dashboard_id}`);
      await other.page.getByTestId('collector-error').waitFor();
      expect(await other.page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    } finally {
      await other.close();
      await broken.close();
      await s.cleanup().catch(() => {});
    }
  });
});

describe('stored strings stay text', () => {
  const PAYLOADS = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', 'javascript:alert(3)'];

  it('payloads in every stored field render as text: no dialog, no element, no navigation', async () => {
    const xss = await generateKey(server.url);
    const list = PAYLOADS.flatMap((payload, i) => rows(4, now, 100 + i).map((x) => ({ ...x, payload })));
    const requests = list.map((x) => ({
      hostname: x.payload,
      ip_address: x.ip,
      path: `/${x.payload}`,
      route: x.payload,
      user_agent: x.payload,
      method: 'GET',
      status: 200,
      response_time: 5,
      user_id: x.payload,
      created_at: new Date(x.at).toISOString(),
    }));
    const res = await ingest(server.url, {
      api_key: xss.api_key,
      framework: 'Express',
      privacy_level: 0,
      requests,
    });
    expect(res.json.accepted).toBe(list.length);

    await page().goto(`${server.url}/dashboard/${xss.dashboard_id}`);
    await ready();
    const text = await page().locator('main').textContent();
    for (const payload of PAYLOADS) expect(text).toContain(payload);
    // Click-to-filter with a payload: it goes to the URL and a chip as text.
    await page().locator('[data-card=endpoints] button', { hasText: PAYLOADS[1]! }).click();
    await ready();
    await page().locator('[data-card=users-table] button', { hasText: PAYLOADS[1]! }).click();
    await ready();
    expect(await page().locator('[data-chip=endpoint]').textContent()).toContain(PAYLOADS[1]);
    expect(await page().locator('[data-chip=user]').textContent()).toContain(PAYLOADS[1]);
    await page().reload();
    await ready();
    expect(b.dialogs).toEqual([]);
    expect(await page().locator('main img, main script, main iframe').count()).toBe(0);
    expect(await page().evaluate(() => document.querySelectorAll('[href^="javascript:" i]').length)).toBe(0);
    expect(b.foreign).toEqual([]);
  });
});

describe('the demo dashboard', () => {
  it('renders the synthetic traffic the collector generates', async () => {
    const s = await freshStore('DuckDB');
    const demo = await startServer(s.store, { dashboardDir: DIST, demo: true });
    const v = await openBrowser(demo.url);
    try {
      await demo.app.apilensDemo.ready();
      await v.page.goto(`${demo.url}/dashboard/demo`);
      await v.page.locator('[data-state=ready]').waitFor();
      await v.page.locator('[data-card=countries] svg[role=img]').waitFor();
      const api = await (await fetch(`${demo.url}/api/dashboard/demo?period=7d&tz=UTC`)).json();
      expect(api.totals.requests).toBeGreaterThan(50_000);
      expect(await v.page.locator('[data-card=countries] path.has').count()).toBeGreaterThan(15);
      expect(await v.page.locator('[data-card=endpoints] tbody tr').count()).toBe(10);
      expect(await v.page.getByText('Synthetic traffic the collector generates').count()).toBe(1);
      expect(v.errors).toEqual([]);
      expect(v.foreign).toEqual([]);
    } finally {
      await v.close();
      await demo.close();
      await s.cleanup();
    }
  }, 120_000);
});
