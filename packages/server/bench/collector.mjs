// The built collector for the benchmarks: started as a user would (`apilens serve`), without the
// demo dashboard or rate limits, and its memory read from /proc.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
/** The build to run: this package's, or BENCH_DIST (another checkout's dist, for A/B runs). */
export const DIST = resolve(pkg, process.env.BENCH_DIST ?? 'dist');

/** Peak and current RSS of a process, from /proc (kB). */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: get('VmHWM'), rss: get('VmRSS') };
}

/**
 * CPU time a process has used so far, user and system, all threads (ms), from /proc: the
 * collector's CPU per stored row is steadier than rows/s on a shared machine. With `thread`, that
 * thread's only (the process id itself is the main thread: the event loop).
 */
export function cpuMs(pid, thread) {
  const stat = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Builds to compare in one run, alternating on the same data: BENCH_DISTS (comma-separated dist
 * directories, relative to this package or absolute), else the one {@link DIST}.
 */
export const DISTS = (process.env.BENCH_DISTS ?? DIST).split(',').map((d) => resolve(pkg, d));

/** Starts the built CLI (`dist`, default {@link DIST}); resolves with { url, proc, stop() }. */
export async function serve(args, dist = DIST) {
  const proc = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the collector, written when it exits.
      ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      join(dist, 'cli.cjs'),
      'serve',
      '--port',
      '0',
      '--rate-limit',
      '0',
      '--no-demo',
      '--log-level',
      'info',
      ...args,
    ],
    // DATABASE_URL may name the benchmark's PostgreSQL: the store is chosen by the arguments only.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } },
  );
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const on = (c) => {
      out += c;
      const m = /apilens listening on (http:\/\/[^\s,"]+)/.exec(out);
      if (m) resolve(m[1]);
    };
    if (process.env.BENCH_SERVER_LOG) {
      const log = createWriteStream(process.env.BENCH_SERVER_LOG, { flags: 'a' });
      proc.stdout.pipe(log);
      proc.stderr.pipe(log);
    }
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
  return {
    url,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    },
  };
}
