import { describe, expect, it } from 'vitest';
import { createApiKey } from '../src/index.js';
import { freshStore, getData, ingest, runCli, STORES, startServer, wireRow } from './harness.js';

const ROWS = 500;

function batch(apiKey: string, client: number, n: number) {
  return {
    api_key: apiKey,
    framework: 'Express',
    privacy_level: 0,
    requests: Array.from({ length: ROWS }, (_, i) => wireRow({ path: `/c${client}/b${n}/r${i}` })),
  };
}

describe.each(STORES)('durability (%s)', (storeName) => {
  it('after SIGKILL mid-stream and a restart, every row of every 200-acknowledged batch is there', async () => {
    const s = await freshStore(storeName);
    const { api_key } = await createApiKey(s.store, Date.now());
    // DuckDB lets one process open a file: the collector below is that process.
    if (storeName === 'DuckDB') await s.store.close();
    const args = [
      'serve',
      '--port',
      '0',
      '--rate-limit',
      '0',
      ...(s.location.db ? ['--db', s.location.db] : ['--database-url', s.location.databaseUrl!]),
    ];
    const server = runCli(args);
    const url = await server.url;
    const acked = new Set<string>();
    // Every answer the server gave (the assertions run outside the try, so none is swallowed).
    const answers: Array<{ status: number; accepted: unknown }> = [];
    let stop = false;
    const client = async (c: number) => {
      for (let n = 0; !stop && n < 10_000; n++) {
        let r: Awaited<ReturnType<typeof ingest>>;
        try {
          r = await ingest(url, batch(api_key, c, n), { gzip: true });
        } catch {
          return; // connection refused or reset: the server is gone
        }
        answers.push({ status: r.status, accepted: r.json?.accepted });
        if (r.status === 200 && r.json?.accepted === ROWS) acked.add(`/c${c}/b${n}/`);
      }
    };
    const clients = [0, 1, 2].map(client);
    // Let batches flow, then kill without warning while they are in flight.
    while (answers.length < 15) await new Promise((r) => setTimeout(r, 20));
    server.proc.kill('SIGKILL');
    expect((await server.exit).signal).toBe('SIGKILL');
    stop = true;
    await Promise.all(clients);
    // Every batch answered before the kill was accepted whole.
    expect(answers).toEqual(answers.map(() => ({ status: 200, accepted: ROWS })));
    expect(acked.size).toBeGreaterThanOrEqual(15);

    const again = runCli(args);
    try {
      const url2 = await again.url;
      const lines = (await getData(url2, api_key, 'format=ndjson')).text.trim().split('\n');
      const perBatch = new Map<string, number>();
      for (const line of lines) {
        const path: string = JSON.parse(line).path;
        const b = path.slice(0, path.lastIndexOf('r'));
        perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
      }
      for (const b of acked) expect(perBatch.get(b), `batch ${b}`).toBe(ROWS);
      // A batch is one transaction: never half stored.
      for (const [b, n] of perBatch) expect(n, `batch ${b}`).toBe(ROWS);
    } finally {
      again.proc.kill('SIGTERM');
      await again.exit;
      await s.cleanup();
    }
  });
});

describe.each(STORES)('concurrency (%s)', (storeName) => {
  it('several clients ingest while the data API reads; nothing lost, no errors', async () => {
    const s = await freshStore(storeName);
    const server = await startServer(s.store, { rateLimitPerMinute: 0 });
    const { api_key } = await createApiKey(s.store, Date.now());
    try {
      let writing = true;
      const statuses: number[] = [];
      const reads: number[] = [];
      const writers = [0, 1, 2, 3].map(async (c) => {
        for (let n = 0; n < 12; n++) {
          const r = await ingest(server.url, batch(api_key, c, n), { gzip: n % 2 === 0 });
          statuses.push(r.status);
        }
      });
      const reader = (async () => {
        while (writing) {
          const r = await getData(server.url, api_key, reads.length % 2 ? 'format=csv' : 'status=200');
          reads.push(r.status);
        }
      })();
      await Promise.all(writers);
      writing = false;
      await reader;
      expect(statuses).toEqual(Array(48).fill(200));
      expect(reads.length).toBeGreaterThan(0);
      expect(new Set(reads)).toEqual(new Set([200]));
      expect(await s.store.countRequests()).toBe(48 * ROWS);
      const rows = (await getData(server.url, api_key)).json;
      expect(rows).toHaveLength(48 * ROWS);
    } finally {
      await server.close();
      await s.cleanup();
    }
  });
});
