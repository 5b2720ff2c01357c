// What the stall bench's ingest probe costs PostgreSQL, by the body it sends (`node bench/probe-body.mjs [batches]`,
// after `pnpm build`; DATABASE_URL, else scripts/pg.sh starts a throwaway server).
//
// Two keys take 1 000-row batches through the store in turn (no HTTP): one always the same rows
// with the same times (a body built once and sent again, as the stall bench's probe did before
// 2026-11-28), the other the requests of the last second, as an SDK sends them. Prints each
// one's batch time (p50, p99, max) per 500 batches and the WAL written per batch. Re-sent times
// add one entry to each of 1 000 groups of equal (key, time) in the time indexes, so each batch
// touches up to a thousand index pages; fresh times all go to the indexes' right edge.
import pg from 'pg';
import { createApiKey, hashApiKey, openPostgresStore, parseUserAgent } from '../dist/index.mjs';
import { withBenchDatabase } from './pg.mjs';
import { AGENTS, storeRow } from './rows.mjs';

const BATCHES = Number(process.argv[2] ?? 1500);
const BATCH = 1000;
const EVERY = 500;

await withBenchDatabase('probe', async (url) => {
  const store = openPostgresStore(url);
  await store.migrate();
  const wal = new pg.Client({ connectionString: url });
  await wal.connect();
  const uas = new Map(AGENTS.map((a) => [a, parseUserAgent(a)]));
  const keys = {};
  for (const body of ['frozen', 'fresh']) {
    const { api_key } = await createApiKey(store, Date.now());
    keys[body] = (await store.findKeyByHash(hashApiKey(api_key))).id;
  }
  const t0 = Date.now();
  const frozenRows = Array.from({ length: BATCH }, (_, i) => storeRow(i, t0 + i));
  const times = { frozen: [], fresh: [] };
  const walBytes = { frozen: 0, fresh: 0 };
  const lsn = async () => (await wal.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
  for (let n = 0; n < BATCHES; n++) {
    // Alternating which goes first, so that neither always follows the other's drain.
    for (const body of n % 2 ? ['frozen', 'fresh'] : ['fresh', 'frozen']) {
      const now = Date.now();
      const rows =
        body === 'frozen'
          ? frozenRows
          : Array.from({ length: BATCH }, (_, i) => storeRow(i, now - BATCH + i));
      const before = await lsn();
      const start = performance.now();
      await store.insertRequests(keys[body], rows, uas);
      times[body].push(performance.now() - start);
      const after = await lsn();
      walBytes[body] += Number(
        (await wal.query('SELECT pg_wal_lsn_diff($1, $2) AS d', [after, before])).rows[0].d,
      );
    }
    if ((n + 1) % EVERY === 0) {
      for (const body of ['frozen', 'fresh']) {
        const t = times[body].slice(-EVERY).sort((a, b) => a - b);
        const at = (p) => t[Math.min(t.length - 1, Math.floor(t.length * p))].toFixed(1);
        console.log(
          `batches ${n + 2 - EVERY}-${n + 1}, ${body} body: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; WAL ${(walBytes[body] / 1e6 / (n + 1)).toFixed(2)} MB per batch so far`,
        );
      }
    }
  }
  await wal.end();
  await store.close();
});
