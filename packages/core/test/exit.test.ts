import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../../test-utils/build.js';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const dist = `${pkgDir}dist/index.cjs`;
const child = fileURLToPath(new URL('./fixtures/exit-child.cjs', import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; ms: number; stderr: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [child], {
      env: { ...process.env, CORE_DIST: dist, ...env },
      timeout: 20_000,
    });
    let stderr = '';
    p.stderr?.on('data', (d) => {
      stderr += d;
    });
    p.on('exit', (code) => resolve({ code, ms: Date.now() - t0, stderr }));
  });
}

let collector: TestCollector;

// The child runs the published build, the way a user's process would load it.
beforeAll(() => ensureBuilt(['core']), 120_000);
afterEach(async () => collector?.close());

describe('process exit', () => {
  it('a process that records and lets its event loop end delivers its records and exits promptly', async () => {
    collector = await startCollector();
    const { code, ms } = await run({ COLLECTOR_URL: collector.url });
    expect(code).toBe(0);
    expect(collector.requests().map((r) => r.path)).toEqual(['/child/0', '/child/1', '/child/2']);
    expect(ms).toBeLessThan(3000);
  });

  it('with the collector down it gives up after the exit timeout instead of hanging', async () => {
    collector = await startCollector();
    await collector.stop();
    const { code, ms, stderr } = await run({ COLLECTOR_URL: collector.url, MAX_RETRIES: '100' });
    expect(code).toBe(0);
    expect(ms).toBeLessThan(9000);
    expect(stderr).toMatch(/3 records were not delivered/);
  });
});
