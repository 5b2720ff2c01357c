import { expect, it } from 'vitest';
import { commonRoutes, runExample } from '../../../test-utils/example.js';

it('serves its routes and delivers the records on SIGTERM', async () => {
  const run = await runExample({
    dir: new URL('..', import.meta.url),
    requests: [...commonRoutes.requests, '/nope'],
  });
  expect(run).toMatchObject({
    statuses: [...commonRoutes.statuses, 404],
    code: 0,
    rows: [...commonRoutes.rows, ['/nope', null, 404]],
  });
  expect(run.batches[0]).toMatchObject({ api_key: 'example-key', framework: 'Fastify' });
});
