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
import { ask } from './ipc.mjs';

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
const ROUNDS = env('BENCH_ROUNDS', 10);
const DURATION = env('BENCH_DURATION', 2); // seconds measured per variant and round
const WARMUP = env('BENCH_WARMUP', 3); // seconds of load discarded first, once per app process
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const HEAP_SECONDS = process.env.BENCH_HEAP_SECONDS ? env('BENCH_HEAP_SECONDS', 60) : 0;
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
const JSON_OUT = process.env.BENCH_JSON;
/** Window pairs of the A/B phase (apilens switched on and off in one process); 0 skips it. */
const AB_ROUNDS = process.env.BENCH_AB_ROUNDS === '0' ? 0 : env('BENCH_AB_ROUNDS', 30);
const AB_DURATION = env('BENCH_AB_DURATION', 1);
/** µs of CPU the A/B phase's control burns per request (a known cost it should measure); 0 skips it. */
const AB_CONTROL_US = process.env.BENCH_AB_CONTROL_US === '0' ? 0 : env('BENCH_AB_CONTROL_US', 1);
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

/** Records received, by API key (`bench-<variant>`; apitally's, which has none, as `apitally`). */
const received = new Map();
const receivedBy = (key) => received.get(key) ?? 0;
const sinkCalls = { rows: 0, columns: 0, apitally: 0, other: 0 };

/** Records in one body, by where it was sent, and whose they are. */
function countRecords(path, text) {
  if (path.startsWith('/v2/')) {
    sinkCalls.apitally++;
    // Only request-log uploads carry records; startup and sync are counters.
    if (!path.includes('/log')) return ['apitally', 0];
    return ['apitally', text.split('\n').filter((line) => line.trim() !== '').length];
  }
  const body = JSON.parse(text);
  if (path.startsWith('/api/log-columns')) {
    sinkCalls.columns++;
    const n = body.count;
    // Count only what a collector could decode: every column `count` long, or one number for all rows.
    const cols = Object.values(body.columns ?? {});
    const whole = (c) => typeof c === 'number' || (Array.isArray(c) && c.length === n);
    return [body.api_key, cols.length === 10 && cols.every(whole) ? n : 0];
  }
  if (path.startsWith('/api/log-request')) {
    sinkCalls.rows++;
    return [body.api_key, Array.isArray(body.requests) ? body.requests.length : 0];
  }
  sinkCalls.other++;
  return ['other', 0];
}

const sink = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const answer = (err, buf) => {
      let key;
      let count = 0;
      try {
        if (err) throw err;
        [key, count] = countRecords(req.url ?? '', buf.toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"unreadable body"}');
        return;
      }
      received.set(key, receivedBy(key) + count);
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
  // `<variant>@base`: the same variant of the BENCH_BASE checkout's app.
  const base = variant.endsWith('@base') && BASE !== undefined;
  const checkout = base ? BASE : root;
  const appPath = join(checkout, 'packages', name, 'bench', 'app.mjs');
  const execArgv = extraArgv;
  const profile = CPU_PROF
    ? [join(profileDir, `${name}-${variant.replace('@', '-')}-${Date.now()}.cpuprofile`)]
    : [];
  const args = [appPath, base ? variant.slice(0, -'@base'.length) : variant, serverUrl, ...profile];
  const options = {
    cwd: join(checkout, 'packages', name),
    env: { ...process.env, BENCH_KEY: keyOf(variant) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  };
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
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
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

/**
 * The A/B phase: one app process with apilens behind a switch (the `toggle` variant), measured
 * in `AB_ROUNDS` pairs of short windows, on and off in alternating order (on-off, off-on, …).
 * Same process, same JIT state, windows a second apart: the difference is apilens's added CPU
 * per request over a no-op hook with much less of the machine's noise than separate processes
 * give. Each "on" window ends with a flush inside it, so it pays for delivering its own records
 * (a POST per window: more POSTs than in steady state, so this errs on the high side). With
 * `BENCH_BASE`, the base checkout's app gets the same treatment in a second process, its pairs
 * interleaved with this one's, so both builds are compared under the same load.
 */
async function abPhase(name) {
  const variants = BASE !== undefined ? ['toggle', 'toggle@base'] : ['toggle'];
  const apps = [];
  try {
    for (const variant of variants) {
      const before = receivedBy(keyOf(variant));
      const { port, child } = await startApp(name, variant);
      apps.push({ variant, before, port, child, on: [], off: [], control: [], servedOn: 0 });
    }
    for (const app of apps) {
      for (const active of [true, false]) {
        await ask(app.child, { active }, 'switched');
        const warm = await load(app.port, WARMUP);
        if (active) app.servedOn += warm.total;
      }
      await ask(app.child, 'flush', 'flushed');
    }
    // The control (a known CPU cost per request, apilens off) is a third window per round when
    // AB_CONTROL_US > 0, in this checkout's app only (an older checkout's switch has none); the
    // order rotates and reverses every round, as in the interleaved phase.
    for (let round = 0; round < AB_ROUNDS; round++) {
      for (const app of round % 2 === 0 ? apps : [...apps].reverse()) {
        const modes =
          AB_CONTROL_US > 0 && app.variant === 'toggle' ? ['on', 'off', 'control'] : ['on', 'off'];
        const rotated = modes.map((_, i) => modes[(i + round) % modes.length]);
        for (const mode of round % 2 === 0 ? rotated : rotated.reverse()) {
          const active = mode === 'on';
          await ask(app.child, { active, controlUs: mode === 'control' ? AB_CONTROL_US : 0 }, 'switched');
          const cpuBefore = await ask(app.child, 'cpu');
          const r = await load(app.port, AB_DURATION);
          if (active) await ask(app.child, 'flush', 'flushed');
          const cpuAfter = await ask(app.child, 'cpu');
          r.cpuPerRequest = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / r.total;
          if (active) app.servedOn += r.total;
          app[mode].push(r);
        }
      }
    }
  } finally {
    for (const app of apps) await stopApp(app.child);
  }
  const quartiles = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[Math.floor(sorted.length / 4)], sorted[Math.floor((3 * sorted.length) / 4)]];
  };
  return apps.map(({ variant, before, on, off, control, servedOn }) => {
    const added = on.map((r, i) => r.cpuPerRequest - off[i].cpuPerRequest);
    const controlAdded = control.map((r, i) => r.cpuPerRequest - off[i].cpuPerRequest);
    return {
      framework: name,
      build: variant === 'toggle' ? 'this checkout' : 'base',
      addedUs: median(added),
      // Quartiles of the pairs: how far to trust the median.
      addedQuartilesUs: quartiles(added),
      // The control's measured cost against the CPU it burns: how far the method itself is off.
      controlUs: controlAdded.length ? AB_CONTROL_US : null,
      controlAddedUs: controlAdded.length ? median(controlAdded) : null,
      controlQuartilesUs: controlAdded.length ? quartiles(controlAdded) : null,
      onCpuUs: median(on.map((r) => r.cpuPerRequest)),
      offCpuUs: median(off.map((r) => r.cpuPerRequest)),
      onP99Ms: median(on.map((r) => r.p99)),
      offP99Ms: median(off.map((r) => r.p99)),
      // Requests served with apilens on, warm-up included, against what reached the sink.
      servedOn,
      delivered: receivedBy(keyOf(variant)) - before,
      pairs: added,
    };
  });
}

/** The API key a variant's app reports with; the sink counts records by it. */
function keyOf(variant) {
  return variant === 'apitally' ? 'apitally' : `bench-${variant}`;
}

/**
 * Measures every variant of a framework: one app process per variant, all started and warmed
 * up first, then `ROUNDS` cycles in which each variant in turn gets `DURATION` seconds of load
 * while the others sit idle. Short windows, next to each other in time, keep the comparison
 * fair when other work on the machine comes and goes; no process starts inside the cycles.
 */
async function measureFramework(name, variants) {
  const before = new Map(variants.map((v) => [v, receivedBy(keyOf(v))]));
  const apps = new Map();
  const runs = new Map(variants.map((v) => [v, []]));
  const warm = new Map();
  try {
    for (const variant of variants) apps.set(variant, await startApp(name, variant));
    for (const variant of variants) warm.set(variant, (await load(apps.get(variant).port, WARMUP)).total);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate (and every other round reverse) the order, so that drift hits every variant alike.
      const rotated = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const variant of round % 2 === 0 ? rotated : rotated.reverse()) {
        const { port, child } = apps.get(variant);
        const cpuBefore = await ask(child, 'cpu');
        const r = await load(port, DURATION);
        const cpuAfter = await ask(child, 'cpu');
        // The app's CPU time per request (µs): steadier than throughput on a shared machine.
        r.cpuPerRequest = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / r.total;
        runs.get(variant).push(r);
        process.stdout.write(
          `  ${name} ${round + 1}/${ROUNDS} ${LABELS[variant].padEnd(18)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuPerRequest.toFixed(2)} µs CPU/request, load ${loadavg()[0].toFixed(1)}\n`,
        );
      }
    }
    const totals = new Map();
    for (const variant of variants) {
      const { child } = apps.get(variant);
      const rs = runs.get(variant);
      totals.set(variant, {
        rss: (await ask(child, 'mem')).rss,
        served: warm.get(variant) + rs.reduce((n, r) => n + r.total, 0),
      });
    }
    // Closing delivers what each app still holds.
    for (const variant of variants) await stopApp(apps.get(variant).child);
    for (const variant of variants) {
      totals.get(variant).delivered = receivedBy(keyOf(variant)) - (before.get(variant) ?? 0);
    }
    return { runs, totals };
  } finally {
    for (const { child } of apps.values()) await stopApp(child);
  }
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
    `; ${ROUNDS} rounds × ${DURATION} s per variant (after ${WARMUP} s of warm-up), ${CONNECTIONS} connections, GET /hello/world with a browser user agent`,
);

const results = [];
for (const name of frameworks) {
  const variants = await variantsOf(name);
  const { runs, totals } = await measureFramework(name, variants);
  const noop = runs.get('noop');
  const bare = runs.get('bare');
  for (const variant of variants) {
    const rs = runs.get(variant);
    const t = totals.get(variant);
    // Added CPU over the floor, paired window by window: both ran next to each other in time.
    const added = noop ? rs.map((r, i) => r.cpuPerRequest - noop[i].cpuPerRequest) : [];
    const overBare = bare ? rs.map((r, i) => r.cpuPerRequest - bare[i].cpuPerRequest) : [];
    results.push({
      framework: name,
      variant,
      rps: median(rs.map((r) => r.rps)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuPerRequest)),
      addedOverFloorUs: added.length ? median(added) : null,
      addedOverBareUs: overBare.length ? median(overBare) : null,
      p99Ms: median(rs.map((r) => r.p99)),
      rssMb: t.rss / 1e6,
      recordsDelivered: t.delivered,
      requestsServed: t.served,
      rounds: rs.map((r) => ({ rps: r.rps, cpu: r.cpuPerRequest, p99: r.p99 })),
    });
  }
}

const ab = [];
for (const name of AB_ROUNDS > 0 ? frameworks : []) {
  for (const r of await abPhase(name)) {
    ab.push(r);
    console.log(
      `  ${name} A/B${r.build === 'base' ? ' (base)' : ''}: apilens added ${r.addedUs.toFixed(2)} µs CPU/request (on ${r.onCpuUs.toFixed(1)}, off ${r.offCpuUs.toFixed(1)}; p99 ${r.onP99Ms} / ${r.offP99Ms} ms)${r.controlAddedUs === null ? '' : `, control ${r.controlUs} µs measured ${r.controlAddedUs.toFixed(2)}`}, load ${loadavg()[0].toFixed(1)}`,
    );
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
  `\nmedians of ${ROUNDS} rounds; "added over floor" = app CPU per request minus the no-op hook's, paired window by window. RSS at the end. ` +
    `Target for apilens: ≤ ${DEFAULT_TARGET_US} µs (NestJS ≤ ${TARGET_US.nestjs} µs), p99 ≤ the floor's + 1 ms. ` +
    '"served" and "delivered" include the warm-up; "delivered" is what reached the sink by the time the app had closed. ' +
    `Sink calls: ${JSON.stringify(sinkCalls)}; load average now ${loadavg()[0].toFixed(1)}.`,
);
if (ab.length > 0) {
  console.log(
    `\nA/B in one process (apilens switched on and off, ${AB_ROUNDS} pairs of ${AB_DURATION} s windows; "on" windows end with a flush):`,
  );
  for (const r of ab) {
    const target = TARGET_US[r.framework] ?? DEFAULT_TARGET_US;
    const ok = r.addedUs <= target && r.onP99Ms <= r.offP99Ms + 1;
    console.log(
      `  ${`${r.framework}${r.build === 'base' ? ' (base)' : ''}`.padEnd(15)} added ${signed(r.addedUs, 2).padStart(7)} µs/request ${ok ? '✓' : '✗'} (quartiles ${r.addedQuartilesUs.map((q) => signed(q, 1)).join(' … ')})${r.controlAddedUs === null ? '' : `  control: ${r.controlUs} µs burnt, measured ${signed(r.controlAddedUs, 2)} (${r.controlQuartilesUs.map((q) => signed(q, 1)).join(' … ')})`}  (on ${r.onCpuUs.toFixed(1)}, off ${r.offCpuUs.toFixed(1)} µs; p99 on ${r.onP99Ms} ms, off ${r.offP99Ms} ms; records delivered / served with apilens on ${fmt(r.delivered)} / ${fmt(r.servedOn)})`,
    );
  }
}
if (CPU_PROF)
  console.log(`CPU profiles: ${profileDir} (open in Chrome DevTools → Performance, or speedscope)`);
if (JSON_OUT)
  writeFileSync(
    JSON_OUT,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadavg: loadavg(), rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS, pinned, results, ab, heap }, null, 2)}\n`,
  );
