// Runs an example app (examples/*) as a child process against the real collector (the built
// `apilens serve`, test-utils/real-collector.ts): start it on a free port, send requests, stop it
// with SIGTERM, and hand back the rows the collector stored, read through its data API.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expectedRow, type SentRequest, sendTimed } from './end-to-end.js';
import { reapOnExit } from './helpers.js';
import { type DataRow, startRealCollector } from './real-collector.js';

export interface ExampleRun {
  /** The status of each response, in request order. */
  statuses: number[];
  /** Every row the collector stored under the example's key, oldest first. */
  rows: DataRow[];
  /** How the process ended after SIGTERM. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * The rows these requests must have produced, every field (test-utils/end-to-end.ts): each
   * `[path, route, status]` is matched to the request sent to that path, in order.
   */
  expected(rows: Array<[path: string, route: string | null, status: number]>, framework: string): unknown[];
}

export interface ExampleOptions {
  /** The example's folder, e.g. `new URL('..', import.meta.url)`. */
  dir: URL;
  /** Arguments to `node` in that folder. @default ['server.mjs'] */
  args?: string[];
  /**
   * Paths to request, in order, each optionally with fetch options. Every request carries a
   * browser's user agent, `x-forwarded-for: 8.8.8.8, …` and `x-user-id: u-42`.
   */
  requests: Array<string | [path: string, init: RequestInit]>;
  /** Extra environment (PORT, APILENS_API_KEY and APILENS_SERVER_URL are set). */
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
  ] as Array<[string, string | null, number]>,
};

/** Starts the example (needs `pnpm build`), sends the requests, stops it with SIGTERM. */
export async function runExample({
  dir,
  args = ['server.mjs'],
  requests,
  env,
}: ExampleOptions): Promise<ExampleRun> {
  const collector = await startRealCollector();
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(dir),
    env: {
      ...process.env,
      PORT: '0',
      APILENS_API_KEY: collector.apiKey,
      APILENS_SERVER_URL: collector.url,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
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
    const sent: SentRequest[] = [];
    for (const request of requests) {
      const [path, init] = typeof request === 'string' ? [request] : request;
      sent.push(await sendTimed(base, path, init));
    }
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    return {
      statuses: sent.map((s) => s.status),
      rows: await collector.rows(),
      code,
      signal,
      expected(rows, framework) {
        const unused = [...sent];
        return rows.map(([path, route, status]) => {
          const i = unused.findIndex((s) => s.path === path && s.status === status);
          if (i === -1) throw new Error(`no request to ${path} answered ${status}`);
          return expectedRow(unused.splice(i, 1)[0]!, { route, framework });
        });
      },
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await collector.close();
  }
}
