#!/usr/bin/env node
// Overhead of the apilens adapters on the host API: the same hello-world app,
// bare and instrumented, under autocannon; prints instrumented ÷ bare throughput
// and the p99 latency difference per adapter. See README.md beside this file.
//
//   pnpm bench:overhead                 every packages/*/bench/app.mjs
//   pnpm bench:overhead express koa     only these adapters
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const ROUNDS = env('BENCH_ROUNDS', 5);
const DURATION = env('BENCH_DURATION', 5); // seconds measured per variant and round
const WARMUP = env('BENCH_WARMUP', 2); // seconds of load discarded first, on each fresh process
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const TARGET = env('BENCH_TARGET', 0.97);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
const JSON_OUT = process.env.BENCH_JSON;

// ---- adapters ---------------------------------------------------------------

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
const adapters = wanted.length > 0 ? wanted : available;
if (adapters.length === 0) {
  console.error('bench/overhead: no packages/*/bench/app.mjs found.');
  process.exit(2);
}

if (!SKIP_BUILD) {
  // The apps import their adapter by package name, i.e. its built dist: build it (and core) first.
  const filters = adapters.flatMap((name) => ['--filter', `./packages/${name}...`]);
  console.log(`building ${adapters.join(', ')} (BENCH_SKIP_BUILD=1 skips this)…`);
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

// ---- CPU pinning --------------------------------------------------------------

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
const pinned = hasTaskset && cpus().length >= 2;
if (pinned) {
  // This process (autocannon and the collector) on core 0, the apps on core 1.
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
}

// ---- loopback collector that accepts everything ------------------------------

let received = 0;
const collector = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const answer = (count) => {
      received += count;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: count, rejected: [] }));
    };
    const body = Buffer.concat(chunks);
    const count = (text) => {
      try {
        return JSON.parse(text).requests?.length ?? 0;
      } catch {
        return 0;
      }
    };
    if (req.headers['content-encoding'] === 'gzip') {
      gunzip(body, (err, out) => answer(err ? 0 : count(out.toString('utf8'))));
    } else answer(count(body.toString('utf8')));
  });
});
await new Promise((ok) => collector.listen(0, '127.0.0.1', ok));
const serverUrl = `http://127.0.0.1:${collector.address().port}`;

// ---- one measured run -----------------------------------------------------------

const profileDir = join(here, 'profiles');
if (CPU_PROF) mkdirSync(profileDir, { recursive: true });

function startApp(name, variant) {
  const appPath = join(root, 'packages', name, 'bench', 'app.mjs');
  const execArgv = CPU_PROF
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=${name}-${variant}-${Date.now()}.cpuprofile`,
      ]
    : [];
  const args = [appPath, variant, serverUrl];
  const child = pinned
    ? fork(join(here, 'child.mjs'), args, {
        cwd: join(root, 'packages', name),
        execPath: 'taskset',
        execArgv: ['-c', '1', process.execPath, ...execArgv],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : fork(join(here, 'child.mjs'), args, {
        cwd: join(root, 'packages', name),
        execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
  return new Promise((ok, fail) => {
    child.once('message', (m) => ok({ port: m.port, child }));
    child.once('exit', (code) =>
      fail(new Error(`${name} (${variant}) exited with code ${code} before listening`)),
    );
  });
}

function stopApp(child) {
  return new Promise((ok) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
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
    connections: CONNECTIONS,
    pipelining: 1,
    duration,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}`);
  }
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total };
}

function cpuOf(child) {
  return new Promise((ok) => {
    const onMessage = (m) => {
      if (m?.cpu === undefined) return;
      child.off('message', onMessage);
      ok(m.cpu.user + m.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

async function measure(name, variant) {
  const { port, child } = await startApp(name, variant);
  try {
    await load(port, WARMUP);
    const cpuBefore = await cpuOf(child);
    const result = await load(port, DURATION);
    // The app's CPU time per request (µs): unlike throughput, barely moved by other load on the machine.
    result.cpuPerRequest = ((await cpuOf(child)) - cpuBefore) / result.total;
    return result;
  } finally {
    await stopApp(child);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- main -------------------------------------------------------------------------

console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
    (pinned
      ? 'autocannon on core 0, apps on core 1 (taskset)'
      : 'no CPU pinning (taskset missing or one core)') +
    `; ${ROUNDS} rounds × ${DURATION} s (+${WARMUP} s warm-up), ${CONNECTIONS} connections, GET /hello/world`,
);

const results = [];
for (const name of adapters) {
  const runs = { bare: [], instrumented: [] };
  const before = received;
  let instrumentedRequests = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which variant goes first, so that drift (thermal, noisy neighbours) hits both alike.
    const order = round % 2 === 0 ? ['bare', 'instrumented'] : ['instrumented', 'bare'];
    for (const variant of order) {
      const r = await measure(name, variant);
      runs[variant].push(r);
      if (variant === 'instrumented') instrumentedRequests += r.total;
      process.stdout.write(
        `  ${name} round ${round + 1}/${ROUNDS} ${variant.padEnd(12)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuPerRequest.toFixed(1)} µs CPU/request\n`,
      );
    }
  }
  const summary = (rs) => ({
    rps: median(rs.map((r) => r.rps)),
    p99: median(rs.map((r) => r.p99)),
    cpu: median(rs.map((r) => r.cpuPerRequest)),
  });
  const bare = summary(runs.bare);
  const instr = summary(runs.instrumented);
  results.push({
    adapter: name,
    bareRps: bare.rps,
    instrumentedRps: instr.rps,
    ratio: instr.rps / bare.rps,
    bareP99: bare.p99,
    instrumentedP99: instr.p99,
    p99DiffMs: instr.p99 - bare.p99,
    bareCpuUsPerRequest: bare.cpu,
    instrumentedCpuUsPerRequest: instr.cpu,
    // What the throughput ratio would be on an otherwise idle CPU-bound core.
    cpuRatio: bare.cpu / instr.cpu,
    // Warm-up requests are recorded too, so this can exceed the measured count.
    recordsDelivered: received - before,
    measuredInstrumentedRequests: instrumentedRequests,
  });
}

collector.close();

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [
  [
    'adapter',
    'bare req/s',
    'instrumented req/s',
    'ratio',
    'bare p99',
    'instr. p99',
    'Δ p99',
    'CPU µs/req bare → instr.',
    'CPU ratio',
    'records delivered',
  ],
  ...results.map((r) => [
    r.adapter,
    fmt(r.bareRps),
    fmt(r.instrumentedRps),
    `${r.ratio.toFixed(3)}${r.ratio >= TARGET ? '' : ' ✗'}`,
    `${r.bareP99} ms`,
    `${r.instrumentedP99} ms`,
    `${r.p99DiffMs >= 0 ? '+' : ''}${r.p99DiffMs} ms`,
    `${r.bareCpuUsPerRequest.toFixed(1)} → ${r.instrumentedCpuUsPerRequest.toFixed(1)}`,
    r.cpuRatio.toFixed(3),
    fmt(r.recordsDelivered),
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log();
for (const row of rows)
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
console.log(
  `\ntarget: instrumented ÷ bare ≥ ${TARGET} (medians of ${ROUNDS} rounds). ` +
    'CPU ratio = bare ÷ instrumented CPU time per request in the app process: the throughput ratio an idle, CPU-bound core would show.',
);
if (CPU_PROF)
  console.log(`CPU profiles: ${profileDir} (open in Chrome DevTools → Performance, or speedscope)`);
if (JSON_OUT)
  writeFileSync(
    JSON_OUT,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS, pinned, results }, null, 2)}\n`,
  );
