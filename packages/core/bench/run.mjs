// Benchmarks of @apilens/core: per-record cost of the hot path, and flush throughput
// (serialise + gzip + HTTP, in the compact format and in upstream rows) against a collector
// stand-in in another process.
// Run with `pnpm bench` (builds first). Prints figures measured in this run.
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
execFileSync('pnpm', ['exec', 'tsup', '--silent'], { cwd: pkgDir, stdio: 'inherit' });
const { Analytics } = await import(`${pkgDir}dist/index.mjs`);
// Internals (not the public API) from the package's internal entry.
const { batchOf, columnsBody, encodeBatch, rowsBody, wholeBatch } = await import(
  `${pkgDir}dist/internal.mjs`
);

const sink = fork(fileURLToPath(new URL('./sink.mjs', import.meta.url)), { stdio: 'inherit' });
const [port] = await once(sink, 'message');
const serverUrl = `http://127.0.0.1:${port}`;

const req = {
  url: '/users/42?expand=orders',
  headers: {
    host: 'api.example.com',
    'user-agent':
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    'x-forwarded-for': '203.0.113.9, 10.0.0.1',
  },
  socket: { remoteAddress: '127.0.0.1' },
};
const accessors = {
  path: (r) => r.url,
  hostname: (r) => r.headers.host,
  ipAddress: (r) => r.headers['x-forwarded-for'] ?? r.socket.remoteAddress,
  userAgent: (r) => r.headers['user-agent'],
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// 1. Hot path: the recorder an adapter calls once per request.
async function hotPath(label, options) {
  const N = 1_000_000;
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const a = new Analytics('bench-key', 'Express', {
      serverUrl,
      flushIntervalMs: 3_600_000,
      maxBatchSize: 100_000,
      maxQueueSize: N,
      onError: () => {},
      ...options,
    });
    const recorder = a.createRecorder(accessors);
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) recorder(req, 'GET', 200, '/users/:id', 1.5);
    const ns = Number(process.hrtime.bigint() - t0);
    rounds.push(ns / N);
    await a.shutdown(0);
  }
  const perCall = median(rounds);
  console.log(
    `${label.padEnd(44)} ${perCall.toFixed(0).padStart(5)} ns/record  ${(1e9 / perCall / 1e6).toFixed(2)} M records/s`,
  );
  return perCall;
}

console.log('# @apilens/core benchmark');
console.log(`node ${process.version}, ${(await import('node:os')).cpus()[0]?.model}`);
const hot = await hotPath('record via createRecorder (default mappers)', {});
await hotPath('record via createRecorder (user getUserID)', { getUserID: (r) => r.headers.host });
await hotPath('record via createRecorder (privacy level 2)', { privacyLevel: 2 });

// 2. Serialise, serialise + gzip, then the full flush path (+ HTTP to another process).
let encodeRate = 0;
{
  // Varied like real traffic: many users, IPs, a few dozen user agents, ids in paths.
  const agents = Array.from(
    { length: 40 },
    (_, i) =>
      `Mozilla/5.0 (Platform ${i}; rv:${100 + i}.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${120 + i}.0.${i * 37}.0 Safari/537.36`,
  );
  const start = Date.now();
  const records = Array.from({ length: 1000 }, (_, i) => ({
    method: i % 5 === 0 ? 'POST' : 'GET',
    path: `/users/${(i * 7919) % 100_000}/orders?page=${i % 9}`,
    route: '/users/:id/orders',
    status: i % 17 === 0 ? 404 : 200,
    responseTimeMs: (i * 37) % 250,
    hostname: 'api.example.com',
    ipAddress: `203.0.${(i * 13) % 256}.${(i * 29) % 256}`,
    userAgent: agents[(i * 11) % agents.length],
    userId: `user-${(i * 31) % 5000}`,
    createdAt: start + i * 3,
  }));
  const batch = wholeBatch(batchOf(records));
  const batches = 300;
  for (const format of ['columns', 'rows']) {
    const body = format === 'columns' ? columnsBody : rowsBody;
    let t0 = process.hrtime.bigint();
    let bytes = 0;
    for (let i = 0; i < batches; i++) bytes += body('bench-key', 'Express', 0, batch).length;
    let s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `${`serialise (${format})`.padEnd(44)} ${((batches * 1000) / s / 1e3).toFixed(0).padStart(5)} k records/s  (${(bytes / batches / 1000).toFixed(0)} B/record)`,
    );
    t0 = process.hrtime.bigint();
    let gzBytes = 0;
    for (let i = 0; i < batches; i++)
      gzBytes += (await encodeBatch('bench-key', 'Express', 0, batch, format, 'gzip')).length;
    s = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = (batches * 1000) / s;
    if (format === 'columns') encodeRate = rate;
    console.log(
      `${`serialise + gzip (${format}, batches of 1000)`.padEnd(44)} ${(rate / 1e3).toFixed(0).padStart(5)} k records/s  (${(gzBytes / batches / 1000).toFixed(1)} B/record gzipped)`,
    );
  }
}

async function flushThroughput(compression, upstream) {
  const N = 200_000;
  const a = new Analytics('bench-key', 'Express', {
    serverUrl: upstream ? `${serverUrl}/upstream` : serverUrl,
    compression,
    flushIntervalMs: 3_600_000,
    maxBatchSize: 1000,
    maxQueueSize: N,
  });
  const recorder = a.createRecorder(accessors);
  for (let i = 0; i < N; i++) recorder(req, 'GET', 200, '/users/:id', 1.5);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await a.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const st = a.stats();
  await a.shutdown(1000);
  if (st.sent !== N) throw new Error(`expected ${N} sent, got ${JSON.stringify(st)}`);
  const cpuUs = (cpu.user + cpu.system) / N;
  console.log(
    `${`flush: ${upstream ? 'rows' : 'columns'} + ${compression} + HTTP`.padEnd(44)} ${(N / s / 1e3).toFixed(0).padStart(5)} k records/s  (${cpuUs.toFixed(2)} µs CPU/record in this process)`,
  );
  return N / s;
}
await flushThroughput('gzip', false);
await flushThroughput('none', false);
await flushThroughput('gzip', true);

console.log('');
console.log(
  `targets: record() <= 1000 ns: ${hot <= 1000 ? 'met' : 'MISSED'} (${hot.toFixed(0)} ns); serialise+gzip >= 300k records/s: ${encodeRate >= 300_000 ? 'met' : 'MISSED'} (${(encodeRate / 1e3).toFixed(0)}k)`,
);
sink.kill();
