// "Memory stays flat whatever the size of the export": a real collector process (the built
// `apilens serve`) holding 100 000 long rows, whose whole CSV export (35 MB of text, several times
// that as row objects) a client then takes twice. The process runs with a 64 MB old generation, where an
// export held in memory cannot fit (it dies of it) while one streamed chunk by chunk does; its
// peak resident memory (VmHWM, reset just before the export) is read from /proc.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import { reapOnExit } from '../../../test-utils/helpers.js';
import { call, emptyLocation, generateKey, ingest, STORES, wireRow } from './harness.js';

const ROWS = 100_000;
const BATCH = 5_000;
/** About 350 bytes of CSV a row. */
const PATH_TAIL = 'p'.repeat(220);
/**
 * What a whole export may add to the process's resident memory at its peak (MB). Less than the
 * 35 MB of CSV it streams: held whole (as text, row objects or the driver's results) it would be
 * several times that, past the 64 MB old generation. DuckDB formats the rows in the process
 * (routes/data/text-sql.ts), and its allocator (the jemalloc built into DuckDB: two arenas, freed
 * pages kept for a second, no background thread) keeps the pages of the export's steps: 45-69 MB
 * at the peak where the JavaScript writers grew 22-34 MB, none of it DuckDB's buffer pool
 * (duckdb_memory() stays at 27 MB), and no more at 5 times the rows (docs/decisions.md).
 */
const GROWTH_MB = { DuckDB: 96, PostgreSQL: 32 };
/**
 * The process's peak (MB), near the README's figures for a 5M-row export: DuckDB's cache is
 * bounded by its 256 MB `memory_limit` (252 MB measured at 5M rows), PostgreSQL's is in the
 * database server (130 MB).
 */
const PEAK_MB = { DuckDB: 300, PostgreSQL: 200 };

/** Current and peak resident memory of a process (MB), from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

describe.each(STORES)('export memory (%s)', (storeName) => {
  it(`streams a ${ROWS}-row CSV export in flat memory`, { timeout: 240_000 }, async () => {
    await ensureBuilt(['server']);
    const where = await emptyLocation(storeName);
    const cli = join(packageDir('server'), 'dist/cli.cjs');
    const child = spawn(
      process.execPath,
      // No demo dashboard: its writes at start are memory this test does not measure.
      [
        '--max-old-space-size=64',
        cli,
        'serve',
        '--port',
        '0',
        '--rate-limit',
        '0',
        '--no-demo',
        ...where.args,
      ],
      { env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    reapOnExit(child);
    const exited = once(child, 'exit');
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          out += chunk;
          const m = /apilens listening on (http:\/\/[^\s,"]+)/.exec(out);
          if (m) resolve(m[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then(() => reject(new Error(`apilens serve exited:\n${out}`)));
      });
      const { api_key } = await generateKey(url);
      const auth = { headers: { 'x-auth-token': api_key } };
      for (let start = 0; start < ROWS; start += BATCH) {
        const requests = Array.from({ length: BATCH }, (_, i) =>
          wireRow({ path: `/export/${start + i}/${PATH_TAIL}`, user_agent: `agent-${i % 50}/1.0 (export)` }),
        );
        const r = await ingest(url, { api_key, requests }, { gzip: true });
        expect(r.json?.accepted, r.text).toBe(BATCH);
      }
      // The data route once (an empty page), then the peak reset to what the process holds now.
      expect(await (await fetch(`${url}/api/data?format=csv&page=3`, auth)).text()).toMatch(/^hostname,/);
      let start: number | undefined;
      for (const run of ['first', 'second'] as const) {
        writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
        const before = memory(child.pid!);
        start ??= before.rss;
        let bytes = 0;
        let lines = 0;
        try {
          const res = await fetch(`${url}/api/data?format=csv`, auth);
          expect(res.status).toBe(200);
          const reader = res.body!.getReader();
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            bytes += r.value.length;
            for (const b of r.value) if (b === 10) lines++;
          }
        } catch (err) {
          // The collector died (out of memory, if it held the export): say so.
          throw new Error(`the ${run} export failed after ${bytes} bytes: ${err}\n${out.slice(-1000)}`);
        }
        const after = memory(child.pid!);
        expect(lines, `lines of the ${run} export (${out.slice(-500)})`).toBe(ROWS + 1);
        expect(bytes).toBeGreaterThan(30 * 2 ** 20);
        const figures = `${run} export: peak RSS ${after.peak.toFixed(0)} MB, ${before.rss.toFixed(0)} MB before`;
        expect(after.peak - before.rss, figures).toBeLessThan(GROWTH_MB[storeName]);
        expect(after.peak, figures).toBeLessThan(PEAK_MB[storeName]);
        // The second export reuses what the first took: within the same bound of where the first
        // began (peaks 273, 283, 283 MB over three 100 000-row exports; 320, 320, 323 at 500 000).
        expect(after.peak - start, `${figures}, ${start.toFixed(0)} MB before the first`).toBeLessThan(
          GROWTH_MB[storeName],
        );
      }
      expect((await call(url, 'GET', '/api/health')).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await where.cleanup();
    }
  });
});
