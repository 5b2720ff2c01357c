import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';

let child: ChildProcess | undefined;
let collector: TestCollector | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await collector?.close();
});

/** Starts `node server.mjs` (needs `pnpm build`) on a free port; resolves with its base URL. */
async function startExample(): Promise<string> {
  child = spawn(process.execPath, ['server.mjs'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, PORT: '0', APILENS_API_KEY: 'example-key', APILENS_SERVER_URL: collector!.url },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += chunk;
    const port = /localhost:(\d+)/.exec(out)?.[1];
    if (port) return `http://127.0.0.1:${port}`;
  }
  throw new Error(`the example exited without listening: ${out}`);
}

it('serves its routes and delivers the records on SIGTERM', async () => {
  collector = await startCollector();
  const base = await startExample();
  expect((await fetch(`${base}/users/42?x=1`)).status).toBe(200);
  expect((await fetch(`${base}/api/orders/7`)).status).toBe(200);
  expect((await fetch(`${base}/error`)).status).toBe(500);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  child!.kill('SIGTERM');
  const [code] = await once(child!, 'exit');
  expect(code).toBe(0);
  expect(collector.requests().map((r) => [r.path, r.route, r.status])).toEqual([
    ['/users/42', '/users/:id', 200],
    ['/api/orders/7', '/api/orders/:orderId', 200],
    ['/error', '/error', 500],
    ['/nope', null, 404],
  ]);
  expect(collector.batches[0]).toMatchObject({ api_key: 'example-key', framework: 'Fastify' });
});
