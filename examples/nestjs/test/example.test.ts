import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runExample } from '../../../test-utils/example.js';

it('serves its routes and delivers the records on SIGTERM to the real collector, every field stored', async () => {
  const dir = new URL('..', import.meta.url);
  const run = await runExample({
    dir,
    // `pnpm start`: tsx (needs `pnpm build`).
    args: [fileURLToPath(import.meta.resolve('tsx/cli', dir.href)), 'src/main.ts'],
    requests: [
      '/api/users/42?x=1',
      '/api/users/0',
      '/api/users/42/secrets',
      '/api/error',
      '/api/health',
      '/api/nope',
    ],
  });
  expect(run.statuses).toEqual([200, 404, 403, 500, 200, 404]);
  // Nest closes the app, then re-raises the signal: the process ends as killed by SIGTERM.
  expect(run.code === 143 || run.signal === 'SIGTERM').toBe(true);
  expect(run.rows).toEqual(
    run.expected(
      [
        ['/api/users/42', '/api/users/:id', 200],
        ['/api/users/0', '/api/users/:id', 404],
        ['/api/users/42/secrets', '/api/users/:id/secrets', 403],
        ['/api/error', '/api/error', 500],
        ['/api/nope', null, 404],
      ],
      'NestJS',
    ),
  );
});
