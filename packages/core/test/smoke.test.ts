import { afterEach, describe, expect, it } from 'vitest';
import { type TestCollector, startCollector } from '../../../test-utils/collector.js';
import { Analytics } from '../src/index.js';

let collector: TestCollector;
afterEach(async () => collector?.close());

describe('smoke', () => {
  it('delivers a record on flush', async () => {
    collector = await startCollector();
    const a = new Analytics('k', 'Express', { serverUrl: collector.url });
    a.record({ method: 'GET', path: '/u/1?x=1', route: '/u/:id', status: 200, responseTimeMs: 3.4 });
    await a.flush();
    expect(collector.requests()).toMatchObject([{ path: '/u/1', route: '/u/:id', status: 200, response_time: 3 }]);
    await a.shutdown();
  });
});
