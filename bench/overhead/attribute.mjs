#!/usr/bin/env node
// Where an app's CPU goes with apilens on, against a known cost: the app's `toggle` variant runs
// with apilens on AND a control that burns BENCH_CONTROL_US µs of CPU per request (peers.mjs),
// under `perf record -g` (Linux perf, sampling CPU time per thread) for BENCH_REQUESTS requests
// after a warm-up. Samples whose innermost JavaScript frame is apilens's (packages/*/dist,
// undici, node:zlib, or zlib's C code) against the control's give apilens's cost per request as
// a multiple of the control: both are sampled in the same process at the same moments, so a busy
// machine inflates them alike, which a subtraction of two windows' CPU time (run.mjs's A/B) does
// not survive at a load of 5–15. A lower bound: apilens code that V8 inlined into a framework's
// function, and kernel time of its POSTs, count as the framework's.
//
//   node bench/overhead/attribute.mjs fastify koa      (needs `perf` and the built packages)
//   BENCH_PERF_SCRIPT=/tmp/x node bench/overhead/attribute.mjs koa   also keeps `perf script`'s text
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { ask } from './ipc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const CONTROL_US = Number(process.env.BENCH_CONTROL_US ?? 1);
const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench/overhead/attribute: needs Linux `perf` on PATH (apt-get install linux-perf).');
  process.exit(2);
}
const frameworks = process.argv.slice(2);
for (const name of frameworks) {
  if (!existsSync(join(root, 'packages', name, 'bench', 'app.mjs'))) {
    console.error(`bench/overhead/attribute: no packages/${name}/bench/app.mjs.`);
    process.exit(2);
  }
}
// The harness (autocannon, the sink) on core 0, the app on core 1, as in run.mjs.
execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
// A sink that answers at once and reads nothing: its work is not what is measured here.
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"accepted":0,"rejected":[]}');
  });
});
await new Promise((ok) => sink.listen(0, '127.0.0.1', ok));
const serverUrl = `http://127.0.0.1:${sink.address().port}`;
const dir = mkdtempSync(join(tmpdir(), 'apilens-attribute-'));

/** apilens's code as the apps load it (the built dist), its HTTP client, and gzip. */
const APILENS = /packages\/[a-z]+\/dist\/|\/undici\/|node:zlib/;
const ZLIB = /deflate|longest_match|compress_block|crc32|fill_window|zlib/i;
/** The control's loop (peers.mjs). */
const CONTROL = /apilensBenchControl|overhead\/peers\.mjs/;

/**
 * Counts samples of `perf script -F ip,sym` output (each a stack, innermost frame first) by
 * their innermost JavaScript frame: whose code ran, or called the builtin or C++ that ran (a
 * clock read, a Map lookup). Deeper frames are not trusted: when a sample lands in code that
 * keeps no frame of its own, the unwinder reads stale return addresses, and the profile shows
 * e.g. the control as a caller of Koa's request handler. zlib's C code has no JS frame inside
 * it and is matched by name.
 */
function classify(text) {
  let total = 0;
  let apilens = 0;
  let control = 0;
  for (const sample of text.split('\n\n')) {
    const frames = sample.split('\n').filter((line) => line.trim() !== '');
    if (frames.length === 0) continue;
    total++;
    if (ZLIB.test(frames[0])) {
      apilens++;
      continue;
    }
    const js = frames.find((frame) => frame.includes(' JS:'));
    if (js === undefined) continue;
    if (CONTROL.test(js)) control++;
    else if (APILENS.test(js)) apilens++;
  }
  return { total, apilens, control };
}

for (const name of frameworks) {
  const data = join(dir, `${name}.data`);
  const child = fork(
    join(here, 'child.mjs'),
    [join(root, 'packages', name, 'bench', 'app.mjs'), 'toggle', serverUrl],
    {
      cwd: join(root, 'packages', name),
      env: { ...process.env, BENCH_KEY: 'bench-attribute' },
      execPath: 'taskset',
      execArgv: [
        '-c',
        '1',
        process.execPath,
        '--perf-basic-prof',
        '--no-logfile-per-isolate',
        `--logfile=${join(dir, 'v8.log')}`,
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise((ok) => child.once('message', (m) => ok(m.port)));
  const pid = await ask(child, 'pid', 'pid');
  await ask(child, { active: true, controlUs: CONTROL_US }, 'switched');
  const options = {
    url: `http://127.0.0.1:${port}/hello/world`,
    headers: { 'user-agent': USER_AGENT },
    connections: 10,
  };
  await autocannon({ ...options, duration: 3 });
  await ask(child, 'flush', 'flushed');
  // The profile covers the measured requests only: no start-up, no warm-up, no first POST.
  const perf = spawn('perf', ['record', '-g', '-q', '-F', '2999', '-p', String(pid), '-o', data], {
    stdio: 'ignore',
  });
  await new Promise((ok) => setTimeout(ok, 500));
  const before = await ask(child, 'cpu', 'cpu');
  const result = await autocannon({ ...options, amount: REQUESTS });
  await ask(child, 'flush', 'flushed');
  const after = await ask(child, 'cpu', 'cpu');
  perf.kill('SIGINT');
  await new Promise((ok) => perf.once('exit', ok));
  child.send('close');
  await new Promise((ok) => child.once('exit', ok));
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'ip,sym'], {
    maxBuffer: 2 ** 31,
    encoding: 'utf8',
  });
  // --perf-basic-prof's symbol map, needed by `perf script` only.
  rmSync(`/tmp/perf-${pid}.map`, { force: true });
  if (process.env.BENCH_PERF_SCRIPT)
    writeFileSync(join(process.env.BENCH_PERF_SCRIPT, `${name}.txt`), script.stdout);
  const { total, apilens, control } = classify(script.stdout);
  const cpu = (after.user + after.system - before.user - before.system) / result.requests.total;
  const share = (n) => n / total;
  console.log(
    `${name.padEnd(8)} apilens ${(100 * share(apilens)).toFixed(2)} % of samples ≈ ${(share(apilens) * cpu).toFixed(2)} µs/request, ` +
      `control ${(100 * share(control)).toFixed(2)} % ≈ ${(share(control) * cpu).toFixed(2)} µs: ` +
      `apilens ≈ ${(apilens / control).toFixed(2)} × the control; app ${cpu.toFixed(1)} µs CPU/request, ${total} samples, load ${loadavg()[0].toFixed(1)}`,
  );
}
sink.close();
rmSync(dir, { recursive: true, force: true });
