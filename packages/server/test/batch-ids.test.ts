// DuckDB: the SDK's batch id (`apilens-batch-id`) stores a retried batch once, across a restart
// of the collector too (PostgreSQL's own tests are in postgres.test.ts and multi-process.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey, openDuckDbStore, type Store } from '../src/index.js';
import { freshStore, generateKey, ingest, startServer, type TestServer, wireRow } from './harness.js';

describe('DuckDB: a batch id stores a retried batch once', () => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });

  async function collector(store?: Store) {
    let s = store;
    let location: string | undefined;
    if (!s) {
      const fresh = await freshStore('DuckDB');
      opened.push(fresh.cleanup);
      s = fresh.store;
      location = fresh.location.db;
    }
    const server = await startServer(s, { rateLimitPerMinute: 0 });
    opened.push(() => server.close());
    return { store: s, server, db: location };
  }

  const post = (server: TestServer, apiKey: string, batchId: string | undefined, paths: string[]) =>
    ingest(
      server.url,
      { api_key: apiKey, requests: paths.map((path) => wireRow({ path })) },
      { headers: batchId === undefined ? {} : { 'apilens-batch-id': batchId } },
    );
  const count = async (store: Store, apiKey: string) =>
    store.countRequests((await store.findKeyByHash(hashApiKey(apiKey)))!.id);

  it('an id is per key; a batch without one is stored each time; a malformed one is a 400', async () => {
    const { store, server } = await collector();
    const [a, b] = [await generateKey(server.url), await generateKey(server.url)];
    for (let i = 0; i < 2; i++) {
      const r = await post(server, a.api_key, 'same-id', ['/x']);
      expect([r.status, r.json]).toEqual([200, { accepted: 1, rejected: [] }]);
      expect((await post(server, b.api_key, 'same-id', ['/x', '/y'])).status).toBe(200);
      expect((await post(server, b.api_key, undefined, ['/z'])).status).toBe(200);
    }
    expect(await count(store, a.api_key)).toBe(1);
    expect(await count(store, b.api_key)).toBe(4);
    const bad = await post(server, a.api_key, 'not an id!', ['/x']);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/apilens-batch-id/);
    expect(await count(store, a.api_key)).toBe(1);
  });

  it('attempts of one batch arriving together are stored once, all answered as accepted', async () => {
    const { store, server } = await collector();
    const { api_key } = await generateKey(server.url);
    const attempts = await Promise.all([0, 1, 2].map(() => post(server, api_key, 'together', ['/a', '/b'])));
    for (const r of attempts) expect([r.status, r.json]).toEqual([200, { accepted: 2, rejected: [] }]);
    expect(await count(store, api_key)).toBe(2);
  });

  it('recognises a retry after the collector restarted on the same file', async () => {
    const first = await collector();
    const { api_key } = await generateKey(first.server.url);
    expect((await post(first.server, api_key, 'before-restart', ['/r1', '/r2'])).status).toBe(200);
    await first.server.close();
    await first.store.close();

    const reopened = openDuckDbStore(first.db!);
    await reopened.migrate();
    opened.push(() => reopened.close());
    const { server } = await collector(reopened);
    const retry = await post(server, api_key, 'before-restart', ['/r1', '/r2']);
    expect([retry.status, retry.json]).toEqual([200, { accepted: 2, rejected: [] }]);
    expect((await post(server, api_key, 'after-restart', ['/r3'])).status).toBe(200);
    expect(await count(reopened, api_key)).toBe(3);
  });

  it('ids are forgotten before a cutoff (then a retry is stored again) and with their key', async () => {
    const { store, server } = await collector();
    const { api_key } = await generateKey(server.url);
    await post(server, api_key, 'old-batch', ['/o']);
    expect(await store.forgetBatchesBefore!(Date.now() + 1)).toBe(1);
    await post(server, api_key, 'old-batch', ['/o']);
    expect(await count(store, api_key)).toBe(2);
    // The key's deletion takes its ids: a new key never sees them (ids are per key anyway).
    const id = (await store.findKeyByHash(hashApiKey(api_key)))!.id;
    await store.deleteKey(id);
    expect(await store.select!('SELECT count(*) FROM ingest_batches WHERE key_id = $1', [id])).toEqual([[0]]);
  });
});
