import { expect, it } from 'vitest';
import { commonRoutes, runExample } from '../../../test-utils/example.js';

it('serves its routes and delivers the records on SIGTERM to the real collector, every field stored', async () => {
  const run = await runExample({ dir: new URL('..', import.meta.url), requests: commonRoutes.requests });
  expect(run).toMatchObject({ statuses: commonRoutes.statuses, code: 0 });
  expect(run.rows).toEqual(run.expected(commonRoutes.rows, 'Express'));
});
