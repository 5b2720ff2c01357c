// Runs an example app (examples/*) as a child process against a loopback collector: start it on a
// free port, send requests, stop it with SIGTERM, and hand back what the collector received.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type ReceivedBatch, startCollector, type WireRequest } from './collector.js';

export interface ExampleRun {
  /** The status of each response, in request order. */
  statuses: number[];
  /** Every record the collector accepted, in arrival order. */
  records: WireRequest[];
  /** `[path, route, status]` of each record. */
  rows: Array<[path: string, route: string | null, status: number]>;
  batches: ReceivedBatch[];
  /** How the process ended after SIGTERM. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExampleOptions {
  /** The example's folder, e.g. `new URL('..', import.meta.url)`. */
  dir: URL;
  /** Arguments to `node` in that folder. @default ['server.mjs'] */
  args?: string[];
  /** Paths to request, in order, each optionally with fetch options. */
  requests: Array<string | [path: string, init: RequestInit]>;
  /** Extra environment (PORT, APILENS_API_KEY='example-key' and APILENS_SERVER_URL are set). */
  env?: Record<string, string>;
}

/** The requests the Express, Fastify, Hono and Koa examples all serve, and what they record of them. */
export const commonRoutes = {
  requests: ['/users/42?x=1', '/api/orders/7', '/error', '/health'],
  statuses: [200, 200, 500, 200],
  // /health is excluded.
  rows: [
    ['/users/42', '/users/:id', 200],
    ['/api/orders/7', '/api/orders/:orderId', 200],
    ['/error', '/error', 500],
  ] as ExampleRun['rows'],
};

/** Starts the example (needs `pnpm build`), sends the requests, stops it with SIGTERM. */
export async function runExample({
  dir,
  args = ['server.mjs'],
  requests,
  env,
}: ExampleOptions): Promise<ExampleRun> {
  const collector = await startCollector();
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(dir),
    env: {
      ...process.env,
      PORT: '0',
      APILENS_API_KEY: 'example-key',
      APILENS_SERVER_URL: collector.url,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    // Keep reading the output after the port shows up: a closed pipe would kill the example (EPIPE).
    let out = '';
    child.stderr!.on('data', (chunk) => {
      out += chunk;
    });
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        const port = /localhost:(\d+)/.exec(out)?.[1];
        if (port) resolve(`http://127.0.0.1:${port}`);
      });
      void exited.then(() => reject(new Error(`the example exited without listening: ${out}`)));
    });
    const statuses: number[] = [];
    for (const request of requests) {
      const [path, init] = typeof request === 'string' ? [request] : request;
      const res = await fetch(`${base}${path}`, init);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    const records = collector.requests();
    return {
      statuses,
      records,
      rows: records.map((r) => [r.path, r.route, r.status]),
      batches: collector.batches,
      code,
      signal,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await collector.close();
  }
}
