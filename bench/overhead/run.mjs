#!/usr/bin/env node
// What request analytics costs the API it instruments: the same hello-world app per framework,
// bare, with a no-op hook (the floor any middleware pays), with apilens, with node-api-analytics
// (the upstream middleware) and with apitally, each pointed at this process's loopback sink,
// measured interleaved under the same load. See README.md beside this file.
//
//   pnpm bench:overhead                 every packages/*/bench/app.mjs
//   pnpm bench:overhead express koa     only these frameworks
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzip } from 'node:zlib';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const env = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`bench/overhead: ${name} must be a positive number, got ${JSON.stringify(raw)}.`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = env('BENCH_ROUNDS', 3);
const DURATION = env('BENCH_DURATION', 5); // seconds measured per variant and round
const WARMUP = env('BENCH_WARMUP', 2); // seconds of load discarded first, on each fresh process
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const HEAP_SECONDS = process.env.BENCH_HEAP_SECONDS ? env('BENCH_HEAP_SECONDS', 60) : 0;
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
const JSON_OUT = process.env.BENCH_JSON;
/** Another checkout of apilens, built: its apps run as the variant `apilens@base`. */
const BASE = process.env.BENCH_BASE ? resolve(process.env.BENCH_BASE) : undefined;
/** Added CPU per request over the floor that apilens must stay within, per framework. */
const TARGET_US = { nestjs: 2 };
const DEFAULT_TARGET_US = 1.5;
/** A desktop browser's user agent, as real API traffic carries (the SDKs read and ship it). */
const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const ALL_VARIANTS = ['bare', 'noop', 'apilens', 'apilens@base', 'upstream', 'apitally'];
const LABELS = {
  bare: 'bare',
  noop: 'no-op hook',
  apilens: 'apilens',
  'apilens@base': 'apilens (base)',
  upstream: 'node-api-analytics',
  apitally: 'apitally',
};
const onlyVariants = process.env.BENCH_VARIANTS?.split(',').map((v) => v.trim());
const badVariant = onlyVariants?.find((v) => !ALL_VARIANTS.includes(v));
if (badVariant !== undefined) {
  console.error(`bench/overhead: BENCH_VARIANTS names ${badVariant}; known: ${ALL_VARIANTS.join(', ')}.`);
  process.exit(2);
}

// ---- frameworks -------------------------------------------------------------

const wanted = process.argv.slice(2);
const available = readdirSync(join(root, 'packages'))
  .filter((name) => existsSync(join(root, 'packages', name, 'bench', 'app.mjs')))
  .sort();
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(
    `bench/overhead: no packages/<name>/bench/app.mjs for ${unknown.join(', ')}. Available: ${available.join(', ')}.`,
  );
  process.exit(2);
}
const frameworks = wanted.length > 0 ? wanted : available;
if (frameworks.length === 0) {
  console.error('bench/overhead: no packages/*/bench/app.mjs found.');
  process.exit(2);
}
if (BASE !== undefined && !existsSync(join(BASE, 'packages', 'core', 'dist'))) {
  console.error(`bench/overhead: BENCH_BASE=${BASE} has no built packages/core/dist; build it first.`);
  process.exit(2);
}

if (!SKIP_BUILD) {
  // The apps import their adapter by package name, i.e. its built dist: build it (and core) first.
  const filters = frameworks.flatMap((name) => ['--filter', `./packages/${name}...`]);
  console.log(`building ${frameworks.join(', ')} (BENCH_SKIP_BUILD=1 skips this)…`);
  const built = spawnSync('pnpm', [...filters, 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) {
    console.error(
      'bench/overhead: `pnpm build` failed; fix the build or run it yourself, then BENCH_SKIP_BUILD=1.',
    );
    process.exit(1);
  }
}

/** The variants measured for a framework: what its app supports, in the order of ALL_VARIANTS. */
async function variantsOf(name) {
  const app = await import(pathToFileURL(join(root, 'packages', name, 'bench', 'app.mjs')).href);
  const supported = new Set(app.variants ?? ['bare', 'apilens']);
  if (BASE !== undefined && existsSync(join(BASE, 'packages', name, 'bench', 'app.mjs')))
    supported.add('apilens@base');
  return ALL_VARIANTS.filter(
    (v) => supported.has(v) && (onlyVariants === undefined || onlyVariants.includes(v)),
  );
}

// ---- CPU pinning --------------------------------------------------------------

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const pinned = hasTaskset && cpus().length >= 2;
if (pinned) {
  // This process (autocannon and the sink) on core 0, the apps on core 1.
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
}

// ---- loopback sink ------------------------------------------------------------
// Stands in for every peer's collector and counts the records that arrive: apilens
// (rows on /api/log-request, columns on /api/log-columns), node-api-analytics (rows on
// /api/log-request), apitally (/v2/<client>/<env>/{startup,sync,log}; request logs are
// gzip'd NDJSON, one line per request). Nothing any app sends leaves the machine.

let received = 0;
const sinkCalls = { rows: 0, columns: 0, apitally: 0, other: 0 };

/** Records in one body, by where it was sent. */
function countRecords(path, text) {
  if (path.startsWith('/v2/')) {
    sinkCalls.apitally++;
    // Only request-log uploads carry records; startup and sync are counters.
    if (!path.includes('/log')) return 0;
    return text.split('\n').filter((line) => line.trim() !== '').length;
  }
  const body = JSON.parse(text);
  if (path.startsWith('/api/log-columns')) {
    sinkCalls.columns++;
    const n = body.count;
    // Count only what a collector could decode: every column `count` long, or one number for all rows.
    const cols = Object.values(body.columns ?? {});
    const whole = (c) => typeof c === 'number' || (Array.isArray(c) && c.length === n);
    return cols.length === 10 && cols.every(whole) ? n : 0;
  }
  if (path.startsWith('/api/log-request')) {
    sinkCalls.rows++;
    return Array.isArray(body.requests) ? body.requests.length : 0;
  }
  sinkCalls.other++;
  return 0;
}

const sink = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const answer = (err, buf) => {
      let count = 0;
      try {
        if (err) throw err;
        count = countRecords(req.url ?? '', buf.toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"unreadable body"}');
        return;
      }
      received += count;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: count, rejected: [] }));
    };
    const body = Buffer.concat(chunks);
    const gz = req.headers['content-encoding'] === 'gzip' || (body[0] === 0x1f && body[1] === 0x8b);
    if (gz) gunzip(body, answer);
    else answer(null, body);
  });
});
await new Promise((ok) => sink.listen(0, '127.0.0.1', ok));
const serverUrl = `http://127.0.0.1:${sink.address().port}`;

// ---- one measured run -----------------------------------------------------------

const profileDir = join(here, 'profiles');
if (CPU_PROF) mkdirSync(profileDir, { recursive: true });

function startApp(name, variant, extraArgv = []) {
  const checkout = variant === 'apilens@base' ? BASE : root;
  const appPath = join(checkout, 'packages', name, 'bench', 'app.mjs');
  const execArgv = extraArgv;
  const profile = CPU_PROF
    ? [join(profileDir, `${name}-${variant.replace('@', '-')}-${Date.now()}.cpuprofile`)]
    : [];
  const args = [appPath, variant === 'apilens@base' ? 'apilens' : variant, serverUrl, ...profile];
  const options = { cwd: join(checkout, 'packages', name), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
  const child = pinned
    ? fork(join(here, 'child.mjs'), args, {
        ...options,
        execPath: 'taskset',
        execArgv: ['-c', '1', process.execPath, ...execArgv],
      })
    : fork(join(here, 'child.mjs'), args, { ...options, execArgv });
  return new Promise((ok, fail) => {
    child.once('message', (m) => ok({ port: m.port, child }));
    child.once('exit', (code) =>
      fail(new Error(`${name} (${variant}) exited with code ${code} before listening`)),
    );
  });
}

function stopApp(child) {
  return new Promise((ok) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      ok();
    });
    child.send('close');
  });
}

async function load(port, duration) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/hello/world`,
    headers: { 'user-agent': USER_AGENT },
    connections: CONNECTIONS,
    pipelining: 1,
    duration,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}`);
  }
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total };
}

/** Asks the app process for something (`cpu`, `mem`) over IPC. */
function ask(child, what) {
  return new Promise((ok) => {
    const onMessage = (m) => {
      if (m?.[what] === undefined) return;
      child.off('message', onMessage);
      ok(m[what]);
    };
    child.on('message', onMessage);
    child.send(what);
  });
}

async function measure(name, variant) {
  const before = received;
  const { port, child } = await startApp(name, variant);
  let result;
  try {
    const warm = await load(port, WARMUP);
    const cpuBefore = await ask(child, 'cpu');
    result = await load(port, DURATION);
    result.served = warm.total + result.total;
    const cpuAfter = await ask(child, 'cpu');
    // The app's CPU time per request (µs): unlike throughput, barely moved by other load on the machine.
    result.cpuPerRequest =
      (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / result.total;
    result.rss = (await ask(child, 'mem')).rss;
  } finally {
    await stopApp(child);
  }
  // Everything the app delivered, warm-up and the flush at close included.
  result.delivered = received - before;
  return result;
}

/** Heap after a full GC, every 10 s of a `seconds`-long run: is it flat? */
async function heapRun(name, variant, seconds) {
  const { port, child } = await startApp(name, variant, ['--expose-gc']);
  const samples = [];
  try {
    await load(port, WARMUP);
    samples.push((await ask(child, 'mem')).heapUsed);
    for (let t = 0; t < seconds; t += 10) {
      await load(port, Math.min(10, seconds - t));
      samples.push((await ask(child, 'mem')).heapUsed);
    }
  } finally {
    await stopApp(child);
  }
  return samples;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- main -------------------------------------------------------------------------

const [load1] = loadavg();
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${load1.toFixed(1)}; ` +
    (pinned
      ? 'autocannon and the sink on core 0, apps on core 1 (taskset)'
      : 'no CPU pinning (taskset missing or one core)') +
    `; ${ROUNDS} rounds × ${DURATION} s (+${WARMUP} s warm-up), ${CONNECTIONS} connections, GET /hello/world with a browser user agent`,
);

const results = [];
for (const name of frameworks) {
  const variants = await variantsOf(name);
  const runs = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate (and every other round reverse) the order, so that drift hits every variant alike.
    const rotated = variants.map((_, i) => variants[(i + round) % variants.length]);
    const order = round % 2 === 0 ? rotated : rotated.reverse();
    for (const variant of order) {
      const r = await measure(name, variant);
      runs[variant].push(r);
      process.stdout.write(
        `  ${name} ${round + 1}/${ROUNDS} ${LABELS[variant].padEnd(18)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuPerRequest.toFixed(2)} µs CPU/request, ${r.delivered} records delivered, load ${loadavg()[0].toFixed(1)}\n`,
      );
    }
  }
  for (const variant of variants) {
    const rs = runs[variant];
    // Added CPU over the floor, paired round by round: both ran back to back under the same load.
    const added = runs.noop ? rs.map((r, i) => r.cpuPerRequest - runs.noop[i].cpuPerRequest) : [];
    const overBare = runs.bare ? rs.map((r, i) => r.cpuPerRequest - runs.bare[i].cpuPerRequest) : [];
    results.push({
      framework: name,
      variant,
      rps: median(rs.map((r) => r.rps)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuPerRequest)),
      addedOverFloorUs: added.length ? median(added) : null,
      addedOverBareUs: overBare.length ? median(overBare) : null,
      p99Ms: median(rs.map((r) => r.p99)),
      rssMb: median(rs.map((r) => r.rss)) / 1e6,
      recordsDelivered: median(rs.map((r) => r.delivered)),
      requestsServed: median(rs.map((r) => r.served)),
      rounds: rs.map((r) => ({ rps: r.rps, cpu: r.cpuPerRequest, p99: r.p99, delivered: r.delivered })),
    });
  }
}

const heap = [];
if (HEAP_SECONDS > 0) {
  for (const name of frameworks) {
    const samples = await heapRun(name, 'apilens', HEAP_SECONDS);
    heap.push({ framework: name, heapMb: samples.map((b) => b / 1e6) });
    console.log(
      `  ${name} apilens heap after GC every 10 s of ${HEAP_SECONDS} s: ${samples.map((b) => (b / 1e6).toFixed(1)).join(' → ')} MB`,
    );
  }
}

sink.close();

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const signed = (n, digits) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
const floorOf = (fw) => results.find((r) => r.framework === fw && r.variant === 'noop');
const rows = [
  [
    'framework',
    'variant',
    'req/s',
    'CPU µs/req',
    'added over floor',
    'p99',
    'RSS',
    'records delivered / served',
  ],
  ...results.map((r) => {
    const target = TARGET_US[r.framework] ?? DEFAULT_TARGET_US;
    const floor = floorOf(r.framework);
    const mark =
      r.variant === 'apilens' && r.addedOverFloorUs !== null
        ? r.addedOverFloorUs <= target && (floor === undefined || r.p99Ms <= floor.p99Ms + 1)
          ? ' ✓'
          : ' ✗'
        : '';
    return [
      r.framework,
      LABELS[r.variant],
      fmt(r.rps),
      r.cpuUsPerRequest.toFixed(2),
      r.variant === 'noop' || r.addedOverFloorUs === null ? '' : `${signed(r.addedOverFloorUs, 2)} µs${mark}`,
      `${r.p99Ms} ms`,
      `${r.rssMb.toFixed(0)} MB`,
      r.variant === 'bare' || r.variant === 'noop'
        ? ''
        : `${fmt(r.recordsDelivered)} / ${fmt(r.requestsServed)}`,
    ];
  }),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log();
for (const row of rows)
  console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
console.log(
  `\nmedians of ${ROUNDS} rounds; "added over floor" = app CPU per request minus the no-op hook's, paired round by round. ` +
    `Target for apilens: ≤ ${DEFAULT_TARGET_US} µs (NestJS ≤ ${TARGET_US.nestjs} µs), p99 ≤ the floor's + 1 ms. ` +
    '"served" and "delivered" include the warm-up; "delivered" is what reached the sink by the time the app had closed. ' +
    `Sink calls: ${JSON.stringify(sinkCalls)}; load average now ${loadavg()[0].toFixed(1)}.`,
);
if (CPU_PROF)
  console.log(`CPU profiles: ${profileDir} (open in Chrome DevTools → Performance, or speedscope)`);
if (JSON_OUT)
  writeFileSync(
    JSON_OUT,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadavg: loadavg(), rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS, pinned, results, heap }, null, 2)}\n`,
  );
