// Issue 10, item 1: one key's whole export must not hold the event loop that every other tenant
// shares. A real collector in this process (DuckDB and PostgreSQL) holding 200 000 rows streams
// them as CSV (data API) and NDJSON (dashboard export) to a client process that only counts
// lines, while the CPU time of the loop's thread is read (in all, and the longest stretch between
// two turns of the loop). Formatting rows on the loop cost it seconds; with the database writing
// the text the loop mostly passes bytes on.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRequestRow } from '../src/columns.js';
import type { UserAgentInfo } from '../src/types.js';
import { type FreshKey, STORES, serveFreshKey } from './harness.js';

const run = promisify(execFile);
const ROWS = 200_000;
const T0 = Date.UTC(2026, 10, 1);
/**
 * CPU time the event loop may spend on one whole export of these rows (ms), and the longest it
 * may compute without a turn. CPU time, not wall time: on a loaded 2-core machine a thread also
 * waits for a core (an idle process saw 165 ms between two turns there). Measured at load
 * average 7–9: formatting on the loop spent 3.7–4.8 s on DuckDB (longest 102–106 ms) and
 * 1.8–3.4 s on PostgreSQL; the database writing the text, 0.85–1.8 s on either (longest 31–71 ms).
 */
const MAX_LOOP_CPU_MS = 2500;
const MAX_BLOCK_CPU_MS = 150;

/** CPU time (ns) this process's main thread, the event loop's, has run: schedstat's first field. */
function loopCpuNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

/**
 * Watches the loop until `stop()`: a timer every 2 ms reads the thread's CPU time; what it grew
 * by between two ticks is work that ran without a turn of the loop. Tests run in forked processes
 * (vitest.config.ts), so the main thread is the process's.
 */
function watchLoop(): { stop(): { longestMs: number; totalMs: number } } {
  const start = loopCpuNs();
  let last = start;
  let longest = 0;
  const timer = setInterval(() => {
    const now = loopCpuNs();
    longest = Math.max(longest, now - last);
    last = now;
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return { longestMs: longest / 1e6, totalMs: (loopCpuNs() - start) / 1e6 };
    },
  };
}

const AGENTS = Array.from({ length: 20 }, (_, i) => `Mozilla/5.0 (X11; Linux x86_64) Agent/${i}.0`);
const UAS = new Map<string, UserAgentInfo>(
  AGENTS.map((a) => [a, { browser: 'Chrome', os: 'Linux', device: null }]),
);

function row(i: number): NewRequestRow {
  return {
    hostname: 'api.example.com',
    ipAddress: `10.0.${(i >> 8) & 255}.${i & 255}`,
    path: `/orders/${i}/items?page=${i % 7}`,
    route: '/orders/:id/items',
    userAgent: AGENTS[i % AGENTS.length]!,
    method: i % 5 === 0 ? 'POST' : 'GET',
    status: i % 11 === 0 ? 500 : 200,
    responseTime: i % 300,
    location: 'DE',
    userId: i % 3 === 0 ? `user-${i % 1000}` : null,
    framework: 'express',
    createdAt: T0 + i * 10,
  };
}

/** A client in a process of its own (its work is not the loop's): GETs a URL, prints status and line count. */
const CLIENT = `
const [url, key] = process.argv.slice(1);
require('node:http').get(url, { headers: { 'x-auth-token': key } }, (res) => {
  let lines = 0;
  res.on('data', (b) => { for (let at = b.indexOf(10); at !== -1; at = b.indexOf(10, at + 1)) lines++; });
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, lines })));
});`;

/** GETs a whole export from another process, counting its lines without keeping them. */
async function countLines(url: string, apiKey: string): Promise<{ status: number; lines: number }> {
  const { stdout } = await run(process.execPath, ['-e', CLIENT, url, apiKey], { maxBuffer: 1 << 16 });
  return JSON.parse(stdout);
}

describe.each(STORES)('a whole export does not hold the event loop (%s)', (storeName) => {
  let f: FreshKey;

  beforeAll(async () => {
    f = await serveFreshKey(storeName, { rateLimitPerMinute: 0 });
    const id = f.keyId;
    for (let start = 0; start < ROWS; start += 10_000) {
      await f.store.insertRequests(
        id,
        Array.from({ length: 10_000 }, (_, j) => row(start + j)),
        UAS,
      );
    }
  }, 180_000);
  afterAll(() => f?.close());

  it.each([
    ['CSV from the data API', '/api/data?format=csv', ROWS + 1],
    ['NDJSON from the dashboard', '/export?format=ndjson&period=all', ROWS],
  ])(
    `streams %s (${ROWS} rows) with under ${MAX_LOOP_CPU_MS} ms of CPU on the loop`,
    { timeout: 180_000 },
    async (_name, path, lines) => {
      const url = path.startsWith('/export')
        ? `${f.server.url}/api/dashboard/${f.key.dashboard_id}${path}`
        : `${f.server.url}${path}`;
      const watch = watchLoop();
      const r = await countLines(url, f.key.api_key);
      const loop = watch.stop();
      expect(r.status).toBe(200);
      expect(r.lines).toBe(lines);
      const seen = `${loop.totalMs.toFixed(0)} ms of CPU on the loop, longest stretch ${loop.longestMs.toFixed(0)} ms`;
      expect(loop.totalMs, seen).toBeLessThan(MAX_LOOP_CPU_MS);
      expect(loop.longestMs, seen).toBeLessThan(MAX_BLOCK_CPU_MS);
    },
  );
});
