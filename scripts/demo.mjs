// The apilens demo: a collector on the embedded SQLite default, an example API
// instrumented by the SDK, some traffic, then the dashboard URL and a data API sample.
// Keeps running until Ctrl-C (or exits at once with --once).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const once = process.argv.includes('--once');
const framework = process.env.DEMO_FRAMEWORK ?? 'express';
const children = [];

function freePort(preferred) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => {
      const t = createServer();
      t.listen(0, '127.0.0.1', () => {
        const { port } = t.address();
        t.close(() => resolve(port));
      });
    });
    s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(preferred)));
  });
}

function start(label, command, args, env) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk) =>
    String(chunk)
      .split('\n')
      .filter(Boolean)
      .map((l) => `  [${label}] ${l}`)
      .join('\n');
  child.stdout.on('data', (d) => process.env.DEMO_VERBOSE && console.log(prefix(d)));
  // The example's error route logs a stack trace on purpose; show app output only when asked.
  child.stderr.on('data', (d) => process.env.DEMO_VERBOSE && console.error(prefix(d)));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`demo: ${label} exited (${signal ?? code}); run with DEMO_VERBOSE=1 to see its output.`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url, init, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, init);
      if (res.ok) return res;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`demo: ${what} did not come up at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const dataDir = join(root, '.demo');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const collectorPort = await freePort(8787);
const apiPort = await freePort(3000);
const collector = `http://127.0.0.1:${collectorPort}`;
const serverPkg = JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8'));
const cli = join(root, 'packages/server', serverPkg.bin.apilens);

console.log(`1. Starting the collector on ${collector} (SQLite file .demo/apilens.db)`);
start('collector', process.execPath, [
  cli,
  'serve',
  '--port',
  String(collectorPort),
  '--host',
  '127.0.0.1',
  '--db',
  join(dataDir, 'apilens.db'),
]);
await waitFor(`${collector}/api/health`, undefined, 'the collector');

const keyRes = await fetch(`${collector}/api/generate`, { method: 'POST' });
const { api_key: apiKey, dashboard_id: dashboardId } = await keyRes.json();
console.log(`2. Created an API key (POST /api/generate): ${apiKey}`);

const exampleDir = join(root, 'examples', framework);
const examplePkg = JSON.parse(readFileSync(join(exampleDir, 'package.json'), 'utf8'));
const entry = examplePkg.scripts.start.replace(/^node\s+/, '').split(/\s+/);
console.log(
  `3. Starting examples/${framework} on http://127.0.0.1:${apiPort}, instrumented with @apilens/${framework}`,
);
const api = start(
  framework,
  process.execPath,
  entry.map((a) => (a.startsWith('-') ? a : join(exampleDir, a))),
  {
    APILENS_API_KEY: apiKey,
    APILENS_SERVER_URL: collector,
    APILENS_FLUSH_INTERVAL_MS: '1000',
    PORT: String(apiPort),
  },
);
api.unref?.();
// /health is excluded from analytics in every example, so polling it records nothing.
await waitFor(`http://127.0.0.1:${apiPort}/health`, undefined, 'the example API');

const agents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'curl/8.5.0',
];
const ips = ['81.2.69.160', '8.8.8.8', '1.1.1.1', '203.0.113.9', '2.125.160.216', '175.16.199.1'];
const paths = [
  '/users/1',
  '/users/2',
  '/users/42?expand=orders',
  '/api/orders',
  '/api/orders/7',
  '/api/orders/9',
  '/error',
  '/nope',
];
const N = 300;
console.log(`4. Sending ${N} requests to the example API`);
let done = 0;
await Promise.all(
  Array.from({ length: 10 }, async (_, w) => {
    for (let i = w; i < N; i += 10) {
      const res = await fetch(`http://127.0.0.1:${apiPort}${paths[i % paths.length]}`, {
        headers: { 'user-agent': agents[i % agents.length], 'x-forwarded-for': ips[i % ips.length] },
      }).catch(() => undefined);
      await res?.arrayBuffer();
      done++;
    }
  }),
);

process.stdout.write('5. Waiting for the SDK to deliver its batch');
let rows = [];
const end = Date.now() + 30_000;
while (rows.length < N && Date.now() < end) {
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write('.');
  const res = await fetch(`${collector}/api/data`, { headers: { 'X-AUTH-TOKEN': apiKey } });
  if (res.ok) rows = await res.json();
}
console.log(` ${rows.length} of ${done} requests stored.\n`);

const dash = await fetch(`${collector}/dashboard/${dashboardId}`).catch(() => undefined);
if (dash?.ok)
  console.log(
    `Dashboard:  ${collector}/dashboard/${dashboardId}   (or ${collector}/dashboard and paste the API key)`,
  );
else
  console.log(
    `Dashboard:  ${collector}/dashboard/${dashboardId}   (not served by this build of the collector yet)`,
  );
console.log(`Data API:   curl -H 'X-AUTH-TOKEN: ${apiKey}' '${collector}/api/data?format=csv'`);
console.log('\nA data API sample (first 3 rows of GET /api/data):');
console.log(JSON.stringify(rows.slice(0, 3), null, 2));

if (once) stop(rows.length > 0 ? 0 : 1);
else
  console.log(
    `\nThe collector and the example API keep running; try http://127.0.0.1:${apiPort}/users/1. Ctrl-C to stop.`,
  );
