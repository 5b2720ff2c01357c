// The web build (dist/web): what the workerd, worker, browser, edge-light, deno and bun export
// conditions load. Run here on Node.js, which has fetch and CompressionStream too, against the
// loopback collector; packages/hono/test/runtimes.test.ts runs it on Bun, Deno and workerd.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir } from '../../../test-utils/build.js';
import { startCollector, type TestCollector } from '../../../test-utils/collector.js';
import type * as Core from '../src/index.js';
import { errorsInto, rec } from './helpers.js';

const WEB = join(packageDir('core'), 'dist/web');
let core: typeof Core;
let collector: TestCollector;
const clients: Core.Analytics[] = [];

beforeAll(async () => {
  await ensureBuilt(['core']);
  core = await import(pathToFileURL(join(WEB, 'index.mjs')).href);
}, 240_000);
beforeEach(async () => {
  collector = await startCollector();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.shutdown(200)));
  await collector.close();
});

function client(options: Core.Options = {}): Core.Analytics {
  const a = new core.Analytics('web-key', 'Hono', {
    serverUrl: collector.url,
    flushIntervalMs: 60_000,
    ...options,
  });
  clients.push(a);
  return a;
}

describe('web build', () => {
  it('imports neither undici nor a node: module, in any file', () => {
    const files = readdirSync(WEB).filter((f) => /\.(mjs|cjs)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['index.mjs', 'index.cjs', 'internal.mjs', 'internal.cjs']));
    // `import … from "x"`, `import("x")`, `require("x")` naming undici or a Node built-in.
    const nodeOnly = /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:undici|node:[a-z_/]+|zlib|os)["']/;
    for (const file of files) expect(readFileSync(join(WEB, file), 'utf8')).not.toMatch(nodeOnly);
  });

  it('is the web runtime, and the Node build is the node one', async () => {
    const internal = await import(pathToFileURL(join(WEB, 'internal.mjs')).href);
    expect(internal.runtime.build).toBe('web');
    const nodeInternal = await import(pathToFileURL(join(packageDir('core'), 'dist/internal.mjs')).href);
    expect(nodeInternal.runtime.build).toBe('node');
  });

  it('delivers gzip-compressed batches with fetch and CompressionStream', async () => {
    const a = client();
    for (let i = 0; i < 3; i++) a.record(rec({ path: `/w/${i}` }));
    expect(await a.flush()).toBe(true);
    expect(collector.batches[0]?.headers['content-encoding']).toBe('gzip');
    expect(collector.requests().map((r) => r.path)).toEqual(['/w/0', '/w/1', '/w/2']);
    expect(collector.batches[0]).toMatchObject({ api_key: 'web-key', framework: 'Hono' });
  });

  it("rejects transport: 'undici' with a TypeError that says why", () => {
    expect(() => client({ transport: 'undici' })).toThrow(TypeError);
    expect(() => client({ transport: 'undici' })).toThrow(
      /@apilens\/core: invalid config\.transport: expected 'auto' or 'fetch' in the web build of @apilens\/core \(no undici\), got "undici"/,
    );
  });

  it('an attempt that gets no answer times out and is retried', async () => {
    collector.script({ hang: true });
    const errors: Core.ApilensError[] = [];
    const a = client({ timeoutMs: 200, onError: errorsInto(errors) });
    a.record(rec());
    expect(await a.flush()).toBe(true);
    expect(a.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('a timeout with no retry left drops the batch and names the timeout', async () => {
    collector.always({ hang: true });
    const errors: Core.ApilensError[] = [];
    const a = client({ timeoutMs: 200, maxRetries: 0, onError: errorsInto(errors) });
    a.record(rec());
    expect(await a.flush()).toBe(false);
    expect(errors[0]?.message).toMatch(/no answer within 200 ms; 1 records dropped/);
  });

  it('shutdown aborts the attempt in flight within its timeout', async () => {
    collector.always({ hang: true });
    const a = client({ timeoutMs: 60_000 });
    for (let i = 0; i < 4; i++) a.record(rec());
    const t0 = Date.now();
    expect(await a.shutdown(300)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(a.stats()).toMatchObject({ sent: 0, dropped: 4, inFlight: 0 });
  });
});
