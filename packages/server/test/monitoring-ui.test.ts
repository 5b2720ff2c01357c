// The monitoring page in a real headless Chromium against a running collector whose pinger probes
// real loopback targets. What the page must show comes from what the targets answered (one always
// 200, one always 500), not from the code under test; the page must also agree with the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, openBrowser } from '../../../test-utils/browser.js';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import type { MonitoringResponse } from '../src/monitor/types.js';
import { freshStore, generateKey, startServer, type TestServer } from './harness.js';
import { answer, startTarget, type Target } from './monitor/targets.js';

const DIST = `${packageDir('dashboard')}/dist`;

let server: TestServer;
let cleanup: () => Promise<void>;
let b: BrowserSession;
let key: { api_key: string; dashboard_id: string };
let up: Target;
let failing: Target;
let hook: Target;

async function api(method: string, path: string, body?: unknown, apiKey = key.api_key) {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      'x-auth-token': apiKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const report = async (period = '24h') =>
  (await api('GET', `/api/monitoring/${key.dashboard_id}?period=${period}`)).json as MonitoringResponse;

async function until<T>(what: string, fn: () => Promise<T | false | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await ensureBuilt(['dashboard']);
  const s = await freshStore('DuckDB');
  cleanup = s.cleanup;
  server = await startServer(s.store, {
    dashboardDir: DIST,
    monitorAllowPrivate: true,
    monitorMinIntervalSeconds: 1,
    monitorTickMs: 50,
    monitorTimeoutMs: 1000,
  });
  up = await startTarget(answer(200));
  failing = await startTarget(answer(500));
  hook = await startTarget(answer(204));
  key = await generateKey(server.url);
  b = await openBrowser(server.url);
}, 240_000);

afterAll(async () => {
  await b?.close();
  await server?.close();
  await Promise.all([up, failing, hook].map((t) => t?.close()));
  await cleanup?.();
});

const page = () => b.page;
const card = (url: string) => page().locator('article[data-monitor]', { hasText: url });

describe('monitoring page', () => {
  it('an empty page; the API key unlocks adding a monitor through the form', async () => {
    await page().goto(`${server.url}/monitoring/${key.dashboard_id}`);
    await page().getByTestId('monitoring-empty').waitFor();
    // A key of another dashboard does not unlock this one.
    const other = await generateKey(server.url);
    await page().locator('#monitor-key').fill(other.api_key);
    await page().getByRole('button', { name: 'Manage' }).click();
    await expect
      .poll(() => page().getByTestId('unlock').getByRole('alert').textContent())
      .toMatch(/belongs to another dashboard/);
    await page().locator('#monitor-key').fill(key.api_key);
    await page().getByRole('button', { name: 'Manage' }).click();
    await page().getByTestId('add-monitor').waitFor();
    // The collector's refusal is shown as it words it.
    await page().locator('#monitor-url').fill('http://169.254.169.254/latest');
    await page().getByRole('button', { name: 'Add' }).click();
    await expect
      .poll(() => page().getByTestId('add-monitor').getByRole('alert').textContent())
      .toMatch(/cloud metadata/);
    // That refusal was a 400 in the console; nothing else may be.
    b.errors.length = 0;
    await page().locator('#monitor-url').fill(`${up.url}/health`);
    await page().getByRole('button', { name: 'Add' }).click();
    await card(`${up.url}/health`).waitFor();
    const listed = (await api('GET', '/api/monitors')).json.monitors;
    expect(listed).toMatchObject([{ url: `${up.url}/health`, method: 'GET', intervalSeconds: 300 }]);
    // The key is in no storage and not in the URL.
    expect(page().url()).not.toContain(key.api_key);
    const stored = await page().evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(key.api_key);
  });

  it('shows what the targets answered: state, uptime, a bar per slot with its tooltip, the response time chart', async () => {
    // The form's shortest interval is a minute: a second monitor at 1 s through the API.
    expect(
      (await api('POST', '/api/monitors', { url: `${failing.url}/`, method: 'HEAD', intervalSeconds: 1 }))
        .status,
    ).toBe(201);
    await until(
      'both targets pinged, the failing one three times',
      async () => up.requests.length >= 1 && failing.requests.length >= 3,
    );
    await until('the attempts stored', async () => {
      const r = await report();
      return (
        r.monitors.every((m) => m.lastAttempt !== null) &&
        r.monitors.find((m) => m.url === `${failing.url}/`)!.state === 'down'
      );
    });
    await page().reload();
    const ok = card(`${up.url}/health`);
    const bad = card(`${failing.url}/`);
    await expect.poll(() => ok.getByTestId('state').textContent()).toBe('Up');
    await expect.poll(() => bad.getByTestId('state').textContent()).toBe('Down');
    // Every attempt of the 200 target was up, every one of the 500 target down.
    expect(await ok.locator('[data-uptime="24h"]').textContent()).toBe('100%');
    expect(await bad.locator('[data-uptime="24h"]').textContent()).toBe('0%');
    expect(await bad.getByTestId('last').textContent()).toMatch(/unexpected status \(500\)/);
    // 96 slots of 15 minutes; only the current one has attempts, coloured by the result.
    const states = await bad
      .locator('.slot')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.state));
    expect(states).toHaveLength(96);
    expect(states.slice(0, -2).every((s) => s === 'unknown')).toBe(true);
    expect(states.at(-1)).toBe('down');
    expect(await ok.locator('.slot').last().getAttribute('data-state')).toBe('up');
    await bad.locator('.slot').last().hover();
    const tip = bad.getByTestId('slot-tip');
    await expect
      .poll(() => tip.textContent())
      .toMatch(/Down.*\d+ attempts, \d+ failed.*unexpected status \(500\)/s);
    // An unknown slot says so instead of passing for up.
    await bad.locator('.slot').first().hover();
    await expect.poll(() => tip.textContent()).toMatch(/No attempt/);
    // Keyboard: focus the bar, arrow keys walk the slots.
    await ok.locator('.bar').focus();
    await page().keyboard.press('ArrowLeft');
    await expect.poll(() => ok.getByTestId('slot-tip').textContent()).toMatch(/Up.*attempts/s);
    // The response time chart is drawn for the monitor that answered.
    await ok.locator('canvas').first().waitFor();
    expect(b.errors).toEqual([]);
    expect(b.foreign).toEqual([]);
  });

  it('the period is in the URL; 7 days has 84 bars', async () => {
    await page().locator('fieldset label', { hasText: '7 days' }).click();
    await expect.poll(() => new URL(page().url()).searchParams.get('period')).toBe('7d');
    await expect.poll(() => card(`${failing.url}/`).locator('.slot').count()).toBe(84);
    await page().reload();
    await expect.poll(() => card(`${failing.url}/`).locator('.slot').count()).toBe(84);
    expect(await page().locator('input[value="7d"]').isChecked()).toBe(true);
  });

  it('sets the alert webhook and removes a monitor with the key', async () => {
    // A reload forgets the key: it has to be entered again.
    await page().getByTestId('unlock').waitFor();
    await page().locator('#monitor-key').fill(key.api_key);
    await page().getByRole('button', { name: 'Manage' }).click();
    await page().locator('#webhook-url').fill(`${hook.url}/slack`);
    await page().getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page().getByTestId('alerts').getByRole('status').textContent())
      .toBe('Alerts are on.');
    expect((await api('GET', '/api/alerts')).json).toEqual({ webhookUrl: `${hook.url}/slack`, threshold: 2 });
    const bad = card(`${failing.url}/`);
    await bad.getByRole('button', { name: 'Remove', exact: true }).click();
    await bad.getByRole('button', { name: 'Remove with its history' }).click();
    await expect.poll(() => card(`${failing.url}/`).count()).toBe(0);
    expect((await api('GET', '/api/monitors')).json.monitors.map((m: { url: string }) => m.url)).toEqual([
      `${up.url}/health`,
    ]);
    expect(b.dialogs).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('an unknown dashboard id says so', async () => {
    await page().goto(`${server.url}/monitoring/${'0'.repeat(32)}`);
    await page().getByTestId('not-found').waitFor();
  });
});
