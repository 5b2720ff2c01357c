// The dashboard web app as the collector serves it: pages, hashed assets, compression, cache and
// security headers over real HTTP, and the key pages (landing, generate, open, delete) in a real
// headless Chromium against the running collector.
import { readdirSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, openBrowser } from '../../../test-utils/browser.js';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import { installErrorHandlers } from '../src/errors.js';
import { buildServer } from '../src/index.js';
import pagesRoutes from '../src/routes/pages.js';
import { PAGE_PATHS } from '../src/web-assets.js';
import {
  freshStore,
  generateKey,
  getData,
  ingest,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';

const DIST = join(packageDir('dashboard'), 'dist');
let server: TestServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  await ensureBuilt(['dashboard']);
  const s = await freshStore('DuckDB');
  cleanup = s.cleanup;
  server = await startServer(s.store, { dashboardDir: DIST });
}, 240_000);

afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers });

/** GET without decoding the body (fetch would undo the content encoding). */
function raw(path: string, encoding: string): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(server.url + path, { headers: { 'accept-encoding': encoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('pages over HTTP', () => {
  const concrete = PAGE_PATHS.map((p) => p.replace(':id', '0123456789abcdef0123456789abcdef'));

  it('every page answers the app with the security headers and no caching', async () => {
    const index = readFileSync(join(DIST, 'index.html'), 'utf8');
    for (const path of [...concrete, '/dashboard/demo']) {
      const res = await get(path, { 'accept-encoding': 'identity' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toBe(index);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('the built page has no inline script or style for the CSP to refuse', () => {
    const index = readFileSync(join(DIST, 'index.html'), 'utf8');
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('hashed assets are cached for a year and served precompressed (brotli, then gzip)', async () => {
    const assets = readdirSync(join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    expect(assets.length).toBeGreaterThan(2);
    for (const file of assets) {
      const original = readFileSync(join(DIST, 'assets', file));
      const br = await raw(`/assets/${file}`, 'br, gzip');
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['x-content-type-options']).toBe('nosniff');
      expect(br.body.length).toBeLessThan(original.length);
      expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
      const gz = await raw(`/assets/${file}`, 'gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).equals(original)).toBe(true);
      const plain = await raw(`/assets/${file}`, 'identity');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(original)).toBe(true);
    }
  });

  it('unknown paths and assets stay JSON 404s; the API is not shadowed', async () => {
    for (const path of ['/nope', '/assets/nope.js', '/dashboard/a/b', '/api/nope']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error).toMatch(/no endpoint/);
    }
    expect((await get('/api/health')).status).toBe(200);
  });

  it('without a built app the pages say how to build it; dashboardDir false serves none', async () => {
    const bare = Fastify();
    installErrorHandlers(bare, 1024);
    await bare.register(pagesRoutes, { dir: null });
    const res = await bare.inject('/dashboard/demo');
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatch(/pnpm build/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    await bare.close();

    expect(() => buildServer({ dashboardDir: join(DIST, 'missing') })).toThrow(
      /option "dashboardDir" must be the folder of a built dashboard/,
    );
    const s = await freshStore('DuckDB');
    const off = await startServer(s.store, { dashboardDir: false });
    try {
      expect((await fetch(`${off.url}/`)).status).toBe(404);
      expect((await fetch(`${off.url}/api/health`)).status).toBe(200);
    } finally {
      await off.close();
      await s.cleanup();
    }
  });
});

describe('pages in Chromium', () => {
  let b: BrowserSession;
  beforeAll(async () => {
    b = await openBrowser(server.url);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('the landing page shows what this is, a quick start per adapter and the links', async () => {
    await b.page.goto(`${server.url}/`);
    await b.page.getByRole('heading', { level: 1 }).waitFor();
    expect(await b.page.getByRole('link', { name: 'Generate an API key' }).getAttribute('href')).toBe(
      '/generate',
    );
    expect(await b.page.getByRole('link', { name: 'See the live demo' }).getAttribute('href')).toBe(
      '/dashboard/demo',
    );
    for (const [tab, pkg] of [
      ['Express', '@apilens/express'],
      ['Fastify', '@apilens/fastify'],
      ['Koa', '@apilens/koa'],
      ['Hono', '@apilens/hono'],
      ['NestJS', '@apilens/nestjs'],
    ] as const) {
      await b.page.getByRole('tab', { name: tab }).click();
      await expect
        .poll(() => b.page.locator('[role=tabpanel] pre').first().textContent())
        .toBe(`npm install ${pkg}`);
      // The snippet names this collector (it is not on the SDK's default address).
      expect(await b.page.locator('[role=tabpanel] pre').nth(1).textContent()).toContain(server.url);
    }
    expect(b.foreign).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('generate shows the key once with its warning, and the key opens its dashboard', async () => {
    await b.page.goto(`${server.url}/generate`);
    await b.page.getByRole('button', { name: 'Generate a new API key' }).click();
    const key = await b.page.locator('#key').inputValue();
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => b.page.getByText('Store it now: it cannot be shown again.').count()).toBe(1);
    const link = await b.page.locator('#link').getAttribute('href');
    // The key is real: the collector accepts it and maps it to the link shown.
    const id = await getData(server.url, key, '', '/api/dashboard-id');
    expect(link).toBe(`/dashboard/${id.json.dashboard_id}`);
    // The generated snippets carry the new key.
    expect(await b.page.locator('[role=tabpanel] pre').nth(1).textContent()).toContain(key);

    await b.page.goto(`${server.url}/dashboard`);
    await b.page.locator('#api-key').fill(`  "${key}" `);
    await b.page.getByRole('button', { name: 'Open' }).click();
    await b.page.waitForURL(`${server.url}${link}`);
    expect(b.foreign).toEqual([]);
  });

  it('an unknown API key is refused with a message, nothing navigates', async () => {
    await b.page.goto(`${server.url}/dashboard`);
    await b.page.locator('#api-key').fill('00000000-0000-4000-8000-000000000000');
    await b.page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => b.page.getByRole('alert').textContent()).toMatch(/No key like this/);
    expect(new URL(b.page.url()).pathname).toBe('/dashboard');
  });

  it('delete needs the confirmation, then deletes the key and its rows and says how many', async () => {
    const { api_key } = await generateKey(server.url);
    const rows = Array.from({ length: 7 }, (_, i) => wireRow({ path: `/d/${i}` }));
    expect(
      (await ingest(server.url, { api_key, framework: 'Express', privacy_level: 0, requests: rows })).status,
    ).toBe(200);
    await b.page.goto(`${server.url}/delete`);
    const button = b.page.getByRole('button', { name: 'Delete the key and its data' });
    await b.page.locator('#delete-key').fill(api_key);
    expect(await button.isDisabled()).toBe(true);
    await b.page.getByLabel(/I understand/).check();
    await button.click();
    await expect
      .poll(async () => (await b.page.getByTestId('deleted').textContent())?.replace(/\s+/g, ' '))
      .toMatch(/1 key and 7 requests were deleted/);
    expect((await getData(server.url, api_key)).status).toBe(401);
  });

  it('no page breaks its Content-Security-Policy', async () => {
    const violations: string[] = [];
    await b.page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
    await b.page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      );
    });
    for (const path of ['/', '/generate', '/dashboard', '/delete', '/monitoring', '/monitoring/abc']) {
      await b.page.goto(server.url + path);
      await b.page.getByRole('heading', { level: 1 }).waitFor();
    }
    expect(violations).toEqual([]);
    expect(b.errors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
  });
});
