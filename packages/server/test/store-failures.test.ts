// Store failures are answered once, the same way, on every route: a real DuckDB store with
// faults injected per method. A failing method is a 503 that stored nothing; a key deleted
// while its batch was in flight (UnknownKeyError) is a 401; a failing last-use update is not
// the client's problem at all.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, type Store, UnknownKeyError } from '../src/index.js';
import {
  call,
  freshStore,
  generateKey,
  getData,
  ingest,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';

type Method = {
  [K in keyof Store]-?: NonNullable<Store[K]> extends (...args: any[]) => any ? K : never;
}[keyof Store];

const DOWN = /could not reach its database; nothing was stored/;
const UNKNOWN = /^unknown API key/;

describe('store failures over HTTP', () => {
  let real: Store;
  let cleanup: () => Promise<void>;
  let server: TestServer;
  let apiKey: string;
  const faults = new Map<Method, () => Error>();

  beforeAll(async () => {
    const s = await freshStore('DuckDB');
    real = s.store;
    cleanup = s.cleanup;
    // The real store, with any method made to fail on demand.
    const faulty = { ...real } as Record<string, unknown>;
    for (const [name, value] of Object.entries(real)) {
      if (typeof value !== 'function') continue;
      faulty[name] = (...args: unknown[]) => {
        const fault = faults.get(name as Method);
        return fault ? Promise.reject(fault()) : value(...args);
      };
    }
    server = await startServer(faulty as unknown as Store, { rateLimitPerMinute: 0 });
    apiKey = (await generateKey(server.url)).api_key;
  });
  afterEach(() => faults.clear());
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const down = () => new Error('injected: connection refused');
  const rows = async () => real.countRequests((await real.findKeyByHash(hashApiKey(apiKey)))!.id);

  it.each([
    ['POST /api/generate', 'createKey', () => call(server.url, 'POST', '/api/generate')],
    [
      'POST /api/log-request (key lookup)',
      'findKeyByHash',
      () => ingest(server.url, { api_key: apiKey, requests: [wireRow()] }),
    ],
    [
      'POST /api/requests (insert)',
      'insertRequests',
      () => ingest(server.url, { api_key: apiKey, requests: [wireRow()] }, { path: '/api/requests' }),
    ],
    ['GET /api/data (key lookup)', 'findKeyByHash', () => getData(server.url, apiKey)],
    ['GET /api/data (read)', 'queryRequests', () => getData(server.url, apiKey)],
    // Whole exports are one SQL query per step, the database writing the text.
    ['GET /api/data?format=csv (export)', 'select', () => getData(server.url, apiKey, 'format=csv')],
    ['GET /api/dashboard-id', 'findKeyByHash', () => getData(server.url, apiKey, '', '/api/dashboard-id')],
    [
      'DELETE /api/delete',
      'deleteKey',
      () => call(server.url, 'DELETE', '/api/delete', { 'x-auth-token': apiKey }),
    ],
  ] as const)('%s: a failing %s is a 503 that changed nothing', async (_route, method, send) => {
    const before = await rows();
    faults.set(method, down);
    const r = await send();
    expect(r.status).toBe(503);
    expect(r.json.error).toMatch(DOWN);
    faults.clear();
    expect(await rows()).toBe(before);
    expect((await getData(server.url, apiKey, '', '/api/dashboard-id')).status).toBe(200);
  });

  it('a key deleted while its batch is in flight is a 401, on both ingest paths', async () => {
    faults.set('insertRequests', () => new UnknownKeyError());
    for (const path of ['/api/log-request', '/api/requests']) {
      const r = await ingest(server.url, { api_key: apiKey, requests: [wireRow()] }, { path });
      expect(r.status).toBe(401);
      expect(r.json.error).toMatch(UNKNOWN);
    }
  });

  it('a failing last-use update does not fail ingest or reads', async () => {
    faults.set('touchKey', down);
    // A key never touched yet by this server, so the update is really attempted.
    const fresh = (await generateKey(server.url)).api_key;
    expect((await ingest(server.url, { api_key: fresh, requests: [wireRow()] })).json.accepted).toBe(1);
    expect((await getData(server.url, fresh)).json).toHaveLength(1);
  });

  it('health answers 503 with the reason when the store does not answer', async () => {
    faults.set('ping', down);
    const h = await call(server.url, 'GET', '/api/health');
    expect(h.status).toBe(503);
    expect(h.json).toMatchObject({ status: 'unavailable', store: 'duckdb' });
    expect(h.json.error).toMatch(/injected: connection refused/);
  });
});
