// The dashboard page's load time: from navigation to every card drawn (figures in, charts on
// their canvases, the map's shapes in), in Debian's headless Chromium, on the dashboard
// benchmark's data set (bench/seed.mjs: one key with 5 M requests over 180 days beside 5 M of
// other keys). A benchmark, not a test: it prints a table for docs/benchmarks.md.
//
//   pnpm build && node bench/dashboard-page.mjs [file.duckdb]
//
// Environment: RUNS (10), BENCH_DIST (the built server to run, default ../dist: point it at a
// copy of another build's dist/ to compare two builds on the same data), BENCH_COMPARE (a second
// build's dist/, measured in the same run: its collector serves a copy of the file, and the two
// take turns visit by visit, so both see the same machine), BENCH_VIEWS (labels of the views to
// measure, comma-separated, e.g. `24 h,7 days`; default all), BENCH_CPU=1 (trace each visit and
// also report the CPU time the page's main thread spent from the answer to every card drawn: on a
// busy machine the wall-clock figures mostly measure the wait for a core, this one hardly).
//
// The file is seeded first when it does not exist (several minutes) and kept, with its keys in
// `<file>.keys.json`, for the next run. Each case is measured RUNS times (default 10):
// - new visitor: a browser already running, a new context (no cache, no cookies): every asset
//   downloaded, nothing of the collector's cached, as for someone opening a shared link;
// - fresh browser: Chromium launched on a new profile just before the visit (the browser's own
//   start-up work, its built-in pages included, competes with the page for the two cores);
// - returning: the same browser again, assets from its cache;
// and in both, one request is ingested for the key before every visit, so the collector computes
// the figures from the rows each time (its response cache would otherwise answer).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../scripts/chromium.mjs';
import { serve } from './collector.mjs';
import { seed } from './seed.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const file = process.argv[2] ?? join(tmpdir(), 'apilens-bench-dashboard.duckdb');
const RUNS = Number(process.env.RUNS ?? 10);
const DIST = process.env.BENCH_DIST ?? join(here, '../dist');
const CPU = process.env.BENCH_CPU === '1';

const keysFile = `${file}.keys.json`;
if (!existsSync(file) || !existsSync(keysFile)) {
  rmSync(file, { force: true });
  console.log(`seeding ${file} (once; kept for later runs)…`);
  const { keys } = await seed({ store: 'duckdb', target: file });
  writeFileSync(keysFile, JSON.stringify(keys[0]));
}
// The main key: the file holds it, or every key of the seed (bench/dashboard.mjs's BENCH_DUCKDB_FILE).
const saved = JSON.parse(readFileSync(keysFile, 'utf8'));
const { apiKey, dashboardId } = Array.isArray(saved) ? saved[0] : saved;

// The builds measured: this one, and the one to compare with on a copy of the file (DuckDB lets
// one process open a file).
const builds = [{ name: DIST === join(here, '../dist') ? 'this build' : DIST, dist: DIST, db: file }];
if (process.env.BENCH_COMPARE) {
  const copy = `${file}.compare`;
  copyFileSync(file, copy);
  builds.push({ name: process.env.BENCH_COMPARE, dist: process.env.BENCH_COMPARE, db: copy });
}
// The collector as users run it: its own process, the built CLI.
for (const b of builds) Object.assign(b, await serve(['--db', b.db], b.dist));

// The API benchmark's cases (bench/dashboard.mjs), as page URLs.
const ALL_VIEWS = [
  ['24 h', '?period=24h'],
  ['7 days', '?period=7d'],
  ['30 days', '?period=30d'],
  ['6 months', '?period=6m'],
  ['all time', '?period=all'],
  ['30 days, 3 filters', '?period=30d&endpoint=%2Fv1%2Fproducts%2F%3Asku&statusClass=2xx&country=US'],
];
const only = process.env.BENCH_VIEWS?.split(',').map((v) => v.trim());
const VIEWS = only ? ALL_VIEWS.filter(([label]) => only.includes(label)) : ALL_VIEWS;
if (VIEWS.length === 0)
  throw new Error(`bench: BENCH_VIEWS matches no view (${ALL_VIEWS.map(([l]) => l).join(', ')})`);

/** One new request for the key: the collector's response cache no longer applies. */
async function touchData(url) {
  const res = await fetch(`${url}/api/log-request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      api_key: apiKey,
      framework: 'Express',
      requests: [
        {
          path: '/bench',
          method: 'GET',
          status: 200,
          response_time: 1,
          created_at: Date.now(),
        },
      ],
    }),
  });
  if (!res.ok) throw new Error(`ingest answered ${res.status}`);
}

/**
 * One visit, measured in the page: `total`, milliseconds from navigation start to every card
 * drawn; `apiStart`/`apiEnd`, when the dashboard API request left and its answer was in (the
 * page's own work is what is not spent waiting on it: before the request leaves, after it is in).
 */
async function visit(page, url, query) {
  await touchData(url);
  const cdp = CPU ? await page.context().newCDPSession(page) : null;
  await cdp?.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: {
      includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'],
    },
  });
  await page.goto(`${url}/dashboard/${dashboardId}${query}`, { waitUntil: 'commit' });
  const total = await page
    .waitForFunction(
      () => {
        const ready = document.querySelector('[data-state=ready]');
        const map = document.querySelector('[data-card=countries] svg[role=img] path');
        const canvases = document.querySelectorAll('.uplot canvas').length;
        return ready && map && canvases >= 4 ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: 60_000 },
    )
    .then((h) => h.jsonValue());
  const [apiStart, apiEnd] = await page.evaluate(() => {
    const api = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/dashboard/'));
    return api ? [api.startTime, api.responseEnd] : [Number.NaN, Number.NaN];
  });
  const drawCpu = cdp ? mainThreadCpu(await endTrace(cdp), apiEnd, total) : Number.NaN;
  return { total, apiStart, apiEnd, drawCpu };
}

async function endTrace(cdp) {
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  const { stream } = await done;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.detach();
  return JSON.parse(text).traceEvents;
}

/**
 * Thread (CPU) time of the page's main-thread tasks between `from` and `to` (ms since its
 * navigation started), from a trace of the visit; NaN when the trace lacks the navigation.
 */
function mainThreadCpu(events, from, to) {
  const nav = events
    .filter((e) => e.name === 'navigationStart' && e.args?.data?.documentLoaderURL?.includes('/dashboard/'))
    .at(-1);
  if (!nav) return Number.NaN;
  let cpu = 0;
  for (const e of events) {
    if (e.pid !== nav.pid || e.tid !== nav.tid || e.ph !== 'X' || e.name !== 'RunTask') continue;
    const start = (e.ts - nav.ts) / 1000;
    if (start > to || start + e.dur / 1000 < from) continue;
    cpu += (e.tdur ?? 0) / 1000;
  }
  return cpu;
}

const LAUNCH = { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS };
const VIEWPORT = { width: 1440, height: 900 };

/** A running browser for new visitors: each visit in a context of its own. */
async function runningBrowser() {
  const running = await chromium.launch(LAUNCH);
  // Let the browser finish starting (its built-in pages) before the first visit.
  const warm = await running.newPage();
  await warm.goto('about:blank');
  await new Promise((r) => setTimeout(r, 3000));
  await warm.close();
  return running;
}

async function newVisitor(running, url, query) {
  const context = await running.newContext({ viewport: VIEWPORT });
  try {
    return await visit(await context.newPage(), url, query);
  } finally {
    await context.close();
  }
}

async function browser() {
  const profile = mkdtempSync(join(tmpdir(), 'apilens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { ...LAUNCH, viewport: VIEWPORT });
  return {
    page: context.pages()[0],
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.9) - 1];

async function apiTime(url, query) {
  await touchData(url);
  const t = performance.now();
  const res = await fetch(`${url}/api/dashboard/${dashboardId}${query}&tz=UTC`);
  await res.arrayBuffer();
  return performance.now() - t;
}

try {
  // Warm the collectors once (DuckDB's first read maps the file).
  for (const b of builds) await apiTime(b.url, '?period=7d');
  const results = [];
  const totals = (visits) => visits.map((v) => v.total);
  // Medians of: the whole visit; when the API request left; the rest after its answer was in.
  const cpu = (visits) => {
    const known = visits.map((v) => v.drawCpu).filter((c) => !Number.isNaN(c));
    return known.length ? `, main thread ${median(known).toFixed(0)} ms CPU in it` : '';
  };
  const summary = (visits) =>
    `${median(totals(visits)).toFixed(0)} ms (p90 ${p90(totals(visits)).toFixed(0)}; request at ${median(visits.map((v) => v.apiStart)).toFixed(0)}, drawn ${median(visits.map((v) => v.total - v.apiEnd)).toFixed(0)} after the answer${cpu(visits)})`;
  // Each run visits every build in turn, the first build first in even runs and last in odd ones.
  const turns = (i) => (i % 2 ? [...builds].reverse() : builds);
  const running = await runningBrowser();
  for (const [label, query] of VIEWS) {
    const of = new Map(builds.map((b) => [b, { visitor: [], first: [], again: [], api: [] }]));
    for (let i = 0; i < RUNS; i++) {
      for (const b of turns(i)) of.get(b).visitor.push(await newVisitor(running, b.url, query));
    }
    for (let i = 0; i < RUNS; i++) {
      for (const b of turns(i)) {
        const fresh = await browser();
        of.get(b).first.push(await visit(fresh.page, b.url, query));
        await fresh.close();
      }
    }
    const again = new Map();
    for (const b of builds) {
      again.set(b, await browser());
      await visit(again.get(b).page, b.url, query);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const b of turns(i)) of.get(b).again.push(await visit(again.get(b).page, b.url, query));
    }
    for (const b of builds) await again.get(b).close();
    for (let i = 0; i < RUNS; i++) for (const b of turns(i)) of.get(b).api.push(await apiTime(b.url, query));
    for (const b of builds) {
      const { visitor, first, again: back, api } = of.get(b);
      results.push({ label, build: b.name, visitor, first, again: back, api });
      console.log(
        `${label.padEnd(20)} ${builds.length > 1 ? `[${b.name}] ` : ''}new visitor ${summary(visitor)} · fresh browser ${summary(first)} · returning ${summary(back)} · API alone ${median(api).toFixed(0)} ms`,
      );
    }
  }
  await running.close();
  console.log(
    `\n| view | build | new visitor, median (p90) | fresh browser, median (p90) | returning visit, median (p90) | API alone, median |`,
  );
  console.log('|---|---|---|---|---|---|');
  const cell = (visits) => `${median(totals(visits)).toFixed(0)} ms (${p90(totals(visits)).toFixed(0)})`;
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.build} | ${cell(r.visitor)} | ${cell(r.first)} | ${cell(r.again)} | ${median(r.api).toFixed(0)} ms |`,
    );
  }
} finally {
  for (const b of builds) b.proc?.kill('SIGTERM');
  if (builds.length > 1) rmSync(builds[1].db, { force: true });
}
