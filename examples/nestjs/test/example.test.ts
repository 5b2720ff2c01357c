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

/** Starts `pnpm start` (tsx; needs `pnpm build`) on a free port; resolves with its base URL. */
async function startExample(): Promise<string> {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.resolve('tsx/cli', `file://${cwd}`)), 'src/main.ts'],
    {
      cwd,
      env: { ...process.env, PORT: '0', APILENS_API_KEY: 'example-key', APILENS_SERVER_URL: collector!.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Keep reading stdout after the port shows up: a closed pipe would kill the example (EPIPE).
  let out = '';
  return new Promise((resolve, reject) => {
    child!.stdout!.on('data', (chunk) => {
      out += chunk;
      const port = /localhost:(\d+)/.exec(out)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child!.once('exit', () => reject(new Error(`the example exited without listening: ${out}`)));
  });
}

it('serves its routes and delivers the records on SIGTERM', async () => {
  collector = await startCollector();
  const base = await startExample();
  expect((await fetch(`${base}/api/users/42?x=1`, { headers: { 'x-user-id': 'u-9' } })).status).toBe(200);
  expect((await fetch(`${base}/api/users/0`)).status).toBe(404);
  expect((await fetch(`${base}/api/users/42/secrets`)).status).toBe(403);
  expect((await fetch(`${base}/api/error`)).status).toBe(500);
  expect((await fetch(`${base}/api/health`)).status).toBe(200);
  expect((await fetch(`${base}/api/nope`)).status).toBe(404);
  child!.kill('SIGTERM');
  const [code, signal] = await once(child!, 'exit');
  // Nest closes the app, then re-raises the signal: the process ends as killed by SIGTERM.
  expect(code === 143 || signal === 'SIGTERM').toBe(true);
  expect(collector.requests().map((r) => [r.path, r.route, r.status])).toEqual([
    ['/api/users/42', '/api/users/:id', 200],
    ['/api/users/0', '/api/users/:id', 404],
    ['/api/users/42/secrets', '/api/users/:id/secrets', 403],
    ['/api/error', '/api/error', 500],
    ['/api/nope', null, 404],
  ]);
  expect(collector.requests()[0]!.user_id).toBe('u-9');
  expect(collector.batches[0]).toMatchObject({ api_key: 'example-key', framework: 'NestJS' });
});
