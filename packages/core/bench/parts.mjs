// Where the SDK's CPU goes per request, part by part, in CPU time (process.cpuUsage) rather
// than wall-clock time, so that a busy machine inflates every figure alike instead of
// reordering them. Parts: the recorder (default Node accessors, batch write), encoding a
// 5 000-row batch of the benchmark app's requests as compact columns, gzip of that body, and
// record + deliver (serialise, gzip, POST to a collector stand-in in another process on the
// other core). Every figure is a median of rounds in which the builds alternate.
//
//   node bench/parts.mjs                         # this checkout's built dist
//   node bench/parts.mjs ../../../other/packages/core   # + another build of @apilens/core, same run
//
// Pin it to one core (`taskset -c 1 node bench/parts.mjs`) to measure what an app pinned
// there pays: on one core gzip runs synchronously, as in `pnpm bench:overhead`.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const dirs = [resolve(here, '..'), ...process.argv.slice(2).map((d) => resolve(d))];
const builds = [];
for (const dir of dirs) {
  builds.push({
    dir,
    pub: await import(`${dir}/dist/index.mjs`),
    int: await import(`${dir}/dist/internal.mjs`),
  });
}
const sinkOptions = { stdio: 'inherit' };
// The collector stand-in on the other core, so that its work neither counts nor preempts.
if (process.platform === 'linux')
  Object.assign(sinkOptions, { execPath: 'taskset', execArgv: ['-c', '0', process.execPath] });
const sink = fork(fileURLToPath(new URL('./sink.mjs', import.meta.url)), sinkOptions);
const [port] = await once(sink, 'message');
const serverUrl = `http://127.0.0.1:${port}`;

// What the overhead benchmark's requests look like to the recorder.
const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const requests = Array.from({ length: 64 }, () => ({
  url: '/hello/world',
  method: 'GET',
  headers: { host: '127.0.0.1:40000', 'user-agent': UA, connection: 'keep-alive' },
  socket: { remoteAddress: '127.0.0.1' },
}));
const BATCH = 5_000;

// A batch of a busier API: 5 000 distinct paths and user ids, 256 client addresses, 40 user agents.
const AGENTS = Array.from(
  { length: 40 },
  (_, i) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/${100 + i}.0 Safari/537.36`,
);
const VARIED = Array.from({ length: BATCH }, (_, i) => ({
  method: i % 7 === 0 ? 'POST' : 'GET',
  path: `/users/${(i * 7919) % 10_007}/orders?page=${i % 9}`,
  route: '/users/:id/orders',
  status: [200, 201, 404, 500][i % 4],
  responseTimeMs: ((i * 37) % 2500) / 10,
  hostname: 'api.example.com',
  ipAddress: `203.0.113.${(i * 29) % 256}`,
  userAgent: AGENTS[i % AGENTS.length],
  userId: `user-${i}`,
  createdAt: 1_795_000_000_000 + i * 3,
}));
const variedSlices = new Map();
const variedSlice = (int) => {
  if (!variedSlices.has(int)) variedSlices.set(int, int.wholeBatch(int.batchOf(VARIED)));
  return variedSlices.get(int);
};
const ROUNDS = Number(process.env.PARTS_ROUNDS ?? 7);

const cpuNow = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = new Map();
const note = (build, part, us) => {
  const key = `${part}\u0000${build}`;
  if (!results.has(key)) results.set(key, []);
  results.get(key).push(us);
};

for (let round = 0; round < ROUNDS; round++) {
  for (const { dir, pub, int } of round % 2 === 0 ? builds : [...builds].reverse()) {
    const accessors = pub.nodeAccessors(
      (r) => r,
      (r) => r.url,
    );
    // 1. The recorder alone: everything stays queued until the measurement is over.
    const n = 500_000;
    const quiet = new pub.Analytics('k', 'Koa', {
      serverUrl,
      flushIntervalMs: 3_600_000,
      maxBatchSize: 100_000,
      maxQueueSize: n,
      onError: () => {},
    });
    const record = quiet.createRecorder(accessors);
    let t = cpuNow();
    for (let i = 0; i < n; i++) {
      const end = performance.now();
      record(requests[i & 63], 'GET', 200, '/hello/:name', 0.25 + (i & 7) * 0.1, end);
    }
    note(dir, 'recorder (accessors, clock, batch write)', (cpuNow() - t) / n);
    await quiet.shutdown(0);

    // 2. Encoding and gzip of one batch, as the sender does them.
    const batch = new int.RecordBatch(BATCH);
    const start = Date.now();
    for (let i = 0; i < BATCH; i++) {
      const r = requests[i & 63];
      batch.add(
        'GET',
        r.url,
        '/hello/:name',
        200,
        0.2 + (i % 13) * 0.07,
        r.headers.host,
        '127.0.0.1',
        UA,
        null,
        start + i / 20,
      );
    }
    const slice = int.wholeBatch(batch);
    const m = 50;
    let json = '';
    t = cpuNow();
    for (let i = 0; i < m; i++) json = int.columnsBody('k', 'Koa', 0, slice);
    note(dir, 'encode as columns (5 000-row batch)', (cpuNow() - t) / m / BATCH);
    t = cpuNow();
    for (let i = 0; i < m; i++) gzipSync(json, { level: 1 });
    note(dir, 'gzip level 1 (same body)', (cpuNow() - t) / m / BATCH);
    t = cpuNow();
    for (let i = 0; i < 10; i++) json = int.columnsBody('k', 'Koa', 0, variedSlice(int));
    note(dir, 'encode, varied batch (distinct paths, IPs, ids)', (cpuNow() - t) / 10 / BATCH);

    // 3. Record + deliver: full batches, each flushed to the stand-in (encode, gzip, POST, answer).
    const live = new pub.Analytics('k', 'Koa', { serverUrl, flushIntervalMs: 3_600_000, onError: () => {} });
    const liveRecord = live.createRecorder(accessors);
    const fill = () => {
      for (let i = 0; i < BATCH; i++)
        liveRecord(requests[i & 63], 'GET', 200, '/hello/:name', 0.25 + (i & 7) * 0.1);
    };
    fill();
    await live.flush(); // loads undici and opens the connection outside the measurement
    const batches = 20;
    let recording = 0;
    let delivering = 0;
    for (let b = 0; b < batches; b++) {
      t = cpuNow();
      fill();
      const t1 = cpuNow();
      await live.flush();
      recording += t1 - t;
      delivering += cpuNow() - t1;
    }
    note(dir, 'deliver: encode + gzip + POST + answer', delivering / (batches * BATCH));
    note(dir, 'record + deliver, all in', (recording + delivering) / (batches * BATCH));
    if (live.stats().sent !== (batches + 1) * BATCH)
      throw new Error(`${dir}: the stand-in did not get every record`);
    await live.shutdown();
  }
}
sink.kill();

const names = builds.map((b) => b.dir);
console.log(
  `CPU µs per request, median of ${ROUNDS} rounds (load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
);
console.log(['part'.padEnd(42), ...names.map((d, i) => (i === 0 ? 'this build' : d).padStart(12))].join(' '));
const parts = [...new Set([...results.keys()].map((k) => k.split('\u0000')[0]))];
for (const part of parts) {
  console.log(
    [
      part.padEnd(42),
      ...names.map((d) =>
        median(results.get(`${part}\u0000${d}`))
          .toFixed(3)
          .padStart(12),
      ),
    ].join(' '),
  );
}
