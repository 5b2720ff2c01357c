// `npm run demo`: installs and builds the workspace (quietly), starts a collector and the Express
// example instrumented with @apilens/express, back-dates a week of realistic traffic, sends live
// requests through the SDK, prints a summary and the dashboard URL, and keeps running until
// Ctrl-C, which stops everything it started.
//   --verbose   show install/build logs and the processes' output
//   --once      exit after the summary (CI)
//   --no-build  skip install and build (they were done already)
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const verbose = args.has('--verbose') || Boolean(process.env.DEMO_VERBOSE);
const once = args.has('--once');
const build = !args.has('--no-build');
const tty = process.stdout.isTTY && !verbose;
const children = [];
let stopping = false;

// ---- output: one line per step, a spinner while it runs ----------------------------------------
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[22m` : s);
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[22m` : s);
const green = (s) => (tty ? `\x1b[32m${s}\x1b[39m` : s);
const red = (s) => (tty ? `\x1b[31m${s}\x1b[39m` : s);
const FRAMES = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

function step(label) {
  const started = Date.now();
  let text = label;
  let frame = 0;
  const draw = () => process.stdout.write(`\r\x1b[2K  ${FRAMES[frame++ % FRAMES.length]} ${text}`);
  const timer = tty ? setInterval(draw, 80) : undefined;
  if (tty) draw();
  const end = (mark, final) => {
    clearInterval(timer);
    const secs = dim(`${((Date.now() - started) / 1000).toFixed(1)}s`);
    process.stdout.write(`${tty ? '\r\x1b[2K' : ''}  ${mark} ${final ?? label}  ${secs}\n`);
  };
  return {
    update(next) {
      text = next;
    },
    done: (final) => end(green('✓'), final),
    fail: (final) => end(red('✗'), final),
  };
}

function bar(fraction, width = 24) {
  const full = Math.round(fraction * width);
  return `${'█'.repeat(full)}${dim('░'.repeat(width - full))}`;
}

const fmt = new Intl.NumberFormat('en');

// ---- processes ----------------------------------------------------------------------------------
/** Runs a command to completion; its output is kept and shown only on failure (or --verbose). */
function run(label, command, commandArgs) {
  const s = step(label);
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: root,
      stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let log = '';
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    child.on('error', (err) => {
      s.fail();
      reject(new Error(`${command} could not start: ${err.message}`));
    });
    child.on('exit', (code) => {
      if (code === 0) {
        s.done();
        resolve();
        return;
      }
      s.fail();
      if (log) process.stderr.write(`\n${log}\n`);
      reject(new Error(`\`${command} ${commandArgs.join(' ')}\` failed (exit ${code}); its output is above`));
    });
  });
}

/** Starts a long-running process; its output is shown only with --verbose (or if it dies). */
function start(label, command, commandArgs, env) {
  const child = spawn(command, commandArgs, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d) => {
    log = (log + d).slice(-20_000);
    if (verbose) process.stdout.write(String(d).replace(/^(?=.)/gm, dim(`  [${label}] `)));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(red(`\n${label} exited (${signal ?? code}). Its last output:\n`) + log);
    stop(1);
  });
  children.push(child);
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const exited = children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))));
  Promise.all(exited).then(() => process.exit(code));
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 6000).unref();
}
process.on('SIGINT', () => {
  if (tty) process.stdout.write('\r\x1b[2K');
  console.log('\nStopping the collector and the example API…');
  stop(0);
});
process.on('SIGTERM', () => stop(0));

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

async function waitFor(url, what, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function json(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${res.status}: ${body.error ?? ''}`);
  return body;
}

// ---- the demo -----------------------------------------------------------------------------------
async function main() {
  console.log(`\n${bold('apilens demo')}  ${dim('(--verbose shows install and build logs)')}\n`);

  if (build) {
    const hasPnpm = await new Promise((r) =>
      spawn('pnpm', ['--version'], { stdio: 'ignore' })
        .on('exit', (c) => r(c === 0))
        .on('error', () => r(false)),
    );
    if (!hasPnpm)
      await run('Installing pnpm 10 (npm install -g pnpm@10)', 'npm', ['install', '-g', 'pnpm@10']);
    await run('Installing dependencies (pnpm install)', 'pnpm', ['install', '--frozen-lockfile']);
    await run('Building the packages and the dashboard (pnpm build)', 'pnpm', ['build']);
  }

  const server = await import(pathToFileURL(join(root, 'packages/server/dist/index.mjs')).href);
  const dataDir = join(root, '.demo');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const collectorPort = await freePort(8787);
  const apiPort = await freePort(3000);
  const collector = `http://127.0.0.1:${collectorPort}`;
  let s = step('Starting the collector');
  const db = join(dataDir, 'apilens.duckdb');
  // The collector's own demo dashboard is not needed here: this demo sends its own traffic.
  start('collector', process.execPath, [
    join(root, 'packages/server/dist/cli.cjs'),
    'serve',
    '--port',
    String(collectorPort),
    '--db',
    db,
    '--no-demo',
    '--log-level',
    verbose ? 'info' : 'warn',
  ]);
  const health = await (await waitFor(`${collector}/api/health`, 'the collector')).json();
  s.done(`Collector on ${collector} ${dim(`(${health.store}, data in .demo/)`)}`);

  s = step('Creating an API key');
  const { api_key: apiKey, dashboard_id: dashboardId } = await json(`${collector}/api/generate`, {
    method: 'POST',
  });
  s.done(`API key created ${dim('(POST /api/generate)')}`);

  s = step('Starting examples/express with @apilens/express');
  start('express', process.execPath, [join(root, 'examples/express/server.mjs')], {
    APILENS_API_KEY: apiKey,
    APILENS_SERVER_URL: collector,
    PORT: String(apiPort),
  });
  await waitFor(`http://127.0.0.1:${apiPort}/health`, 'the example API');
  s.done(`examples/express on http://127.0.0.1:${apiPort}, instrumented with @apilens/express`);

  // A week of history, sent as an SDK would (the wire format), dated in the past. It starts an
  // hour after a week ago, so the dashboard's "last 7 days" (whole hours) holds all of it.
  const now = Date.now();
  const from = now - 7 * 86_400_000 + 3_600_000;
  const week = [...server.syntheticTraffic({ from, to: now - 60_000, perHour: 600, seed: 7 })];
  s = step('Back-dating a week of traffic');
  let sent = 0;
  for (let i = 0; i < week.length; i += 5000) {
    const requests = week.slice(i, i + 5000).map(({ country, created_at, ...r }) => ({
      ...r,
      created_at: new Date(created_at).toISOString(),
    }));
    const body = gzipSync(
      JSON.stringify({ api_key: apiKey, framework: 'Express', privacy_level: 0, requests }),
    );
    const res = await json(`${collector}/api/log-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    sent += res.accepted;
    const f = sent / week.length;
    s.update(
      `Back-dating a week of traffic  ${bar(f)} ${String(Math.round(f * 100)).padStart(3)}%  ${fmt.format(sent)} / ${fmt.format(week.length)}`,
    );
  }
  s.done(`Back-dated a week of traffic: ${fmt.format(sent)} requests over 7 days`);

  const before = (await json(`${collector}/api/dashboard/${dashboardId}?period=7d`)).totals.requests;

  // Live requests through the instrumented example: the SDK batches and delivers them.
  const live = [...server.syntheticTraffic({ from: now - 3_600_000, to: now, perHour: 600, seed: 11 })].slice(
    0,
    300,
  );
  const paths = ['/users/42', '/users/7', '/api/orders', '/api/orders/3', '/api/orders/9', '/error', '/nope'];
  s = step('Sending live requests through the SDK');
  let done = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < live.length; i += 8) {
        const r = live[i];
        const path = paths[(i * 7919) % paths.length];
        const headers = { 'user-agent': r.user_agent, 'x-forwarded-for': r.ip_address };
        if (r.user_id) headers['x-user-id'] = r.user_id;
        const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { headers }).catch(() => undefined);
        await res?.arrayBuffer();
        done++;
        s.update(
          `Sending live requests through the SDK  ${bar(done / live.length)}  ${done} / ${live.length}`,
        );
      }
    }),
  );
  // Wait until the SDK's batch is stored (it sends every 10 s): the dashboard's total grows by it.
  const expected = before + live.length;
  let summary;
  const until = Date.now() + 30_000;
  for (;;) {
    summary = await json(`${collector}/api/dashboard/${dashboardId}?period=7d`);
    if (summary.totals.requests >= expected || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const delivered = summary.totals.requests - before;
  s.done(`Sent ${live.length} live requests through the SDK; ${delivered} delivered to the collector`);

  const t = summary.totals;
  const top = summary.endpoints[0];
  const pct = (x) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
  console.log(
    `\n  ${bold('Last 7 days')}  ${fmt.format(t.requests)} requests · ${fmt.format(t.users ?? 0)} users · error rate ${pct(t.errorRate)} · p95 ${t.p95 ?? '—'} ms`,
  );
  if (top)
    console.log(
      `  ${bold('Top endpoint')} ${top.method} ${top.endpoint} ${dim(`(${fmt.format(top.requests)} requests)`)}`,
    );
  console.log(`\n  Data API    curl -H 'X-AUTH-TOKEN: ${apiKey}' '${collector}/api/data?format=csv'`);
  console.log(`  Dashboard   ${bold(`${collector}/dashboard/${dashboardId}`)}\n`);
  if (once) {
    stop(summary.totals.requests >= expected ? 0 : 1);
    return;
  }
  console.log(dim('  The collector and the example API keep running. Ctrl-C stops both.'));
}

main().catch((err) => {
  if (tty) process.stdout.write('\r\x1b[2K');
  console.error(red(`\ndemo: ${err.message}`));
  stop(1);
});
