// "Timers start on the first record, not at import": edge runtimes (Cloudflare Workers) refuse
// timers in global scope, where an adapter's middleware is usually created. Checked in a fresh
// process on the published build, counting every timer created (unref'd ones included) with
// async_hooks: while the module loads, while a client is constructed, and at its first record.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../../../test-utils/build.js';

const run = promisify(execFile);
const dist = fileURLToPath(new URL('../dist/index.mjs', import.meta.url));

const child = `
import { createHook } from 'node:async_hooks';
let timers = 0;
createHook({ init(_id, type) { if (type === 'Timeout') timers++; } }).enable();
const { Analytics } = await import(${JSON.stringify(dist)});
const counts = { import: timers };
const analytics = new Analytics('key', 'Custom', { serverUrl: 'http://127.0.0.1:9', flushIntervalMs: 60000 });
counts.construct = timers - counts.import;
analytics.record({ method: 'GET', path: '/', status: 200, responseTimeMs: 1 });
counts.firstRecord = timers - counts.import - counts.construct;
console.log(JSON.stringify(counts));
process.exit(0);
`;

beforeAll(() => ensureBuilt(['core']), 120_000);

it('creates no timer when the module loads or a client is made; the first record starts them', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', child], { timeout: 20_000 });
  const counts = JSON.parse(stdout);
  expect(counts).toEqual({ import: 0, construct: 0, firstRecord: expect.any(Number) });
  expect(counts.firstRecord).toBeGreaterThan(0);
});
