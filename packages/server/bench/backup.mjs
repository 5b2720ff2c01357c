// A live backup under ingest: a collector (the built CLI) on a copy of a seeded DuckDB file, three
// clients posting 500-row batches without pause, SIGUSR2 after 6 s; prints the backup's time and
// size, ingest rows/s before, during and after it, and checks the backup: every batch
// acknowledged before the signal whole, no batch in part, no WAL.
//
//   node bench/backup.mjs [seeded.duckdb]   (seeds BENCH_MAIN_ROWS + BENCH_OTHER_ROWS rows when
//                                            the file is missing; 2 M + 1 M over 60 days here)
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { seed } from './seed.mjs';

const seeded = process.argv[2] ?? join(tmpdir(), 'apilens-bench-backup.duckdb');
if (!existsSync(seeded)) {
  await seed({
    store: 'duckdb',
    target: seeded,
    mainRows: Number(process.env.BENCH_MAIN_ROWS ?? 2_000_000),
    otherRows: Number(process.env.BENCH_OTHER_ROWS ?? 1_000_000),
    days: 60,
  });
}
const work = mkdtempSync(join(tmpdir(), 'apilens-bench-backup-'));
const db = join(work, 'apilens.duckdb');
copyFileSync(seeded, db);
const cli = new URL('../dist/cli.cjs', import.meta.url).pathname;
const args = ['serve', '--port', '0', '--rate-limit', '0', '--no-demo', '--db', db];
const proc = spawn(
  process.execPath,
  [cli, ...args, '--backup-dir', join(work, 'bk'), '--backup-interval', '0'],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let out = '';
proc.stdout.on('data', (c) => (out += c));
proc.stderr.on('data', (c) => (out += c));
const until = async (re) => {
  while (!re.test(out)) {
    if (proc.exitCode !== null) throw new Error(out);
    await new Promise((r) => setTimeout(r, 10));
  }
};
await until(/listening on http:/);
const url = /listening on (http:\S+),/.exec(out)[1];
const key = (await (await fetch(`${url}/api/generate`, { method: 'POST' })).json()).api_key;
const row = (path) => ({
  hostname: 'api.example.com',
  ip_address: '8.8.8.8',
  path,
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120',
  method: 'GET',
  status: 200,
  response_time: 12,
  user_id: null,
  created_at: new Date().toISOString(),
});
const acks = [];
let refused = 0;
let writing = true;
const client = async (c) => {
  for (let n = 0; writing; n++) {
    const requests = Array.from({ length: 500 }, (_, i) => row(`/c${c}/b${n}/r${i}`));
    const res = await fetch(`${url}/api/log-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: key, framework: 'Express', privacy_level: 0, requests }),
    });
    await res.text();
    if (res.status === 200) acks.push({ t: performance.now(), b: `/c${c}/b${n}/` });
    else refused++;
  }
};
const clients = [0, 1, 2].map(client);
await new Promise((r) => setTimeout(r, 6000));
const t0 = performance.now();
const before = new Set(acks.map((a) => a.b));
proc.kill('SIGUSR2');
await until(/backup \(SIGUSR2\): written|backup \(SIGUSR2\) failed/);
const t1 = performance.now();
await new Promise((r) => setTimeout(r, 6000));
writing = false;
await Promise.all(clients);
const t2 = performance.now();
proc.kill('SIGTERM');
await new Promise((r) => proc.on('exit', r));

const rate = (a, b) => Math.round((acks.filter((x) => x.t >= a && x.t < b).length * 500) / ((b - a) / 1000));
const written = JSON.parse(out.split('\n').find((l) => l.includes('): written')));
const file = written.file;
const instance = await DuckDBInstance.create(file);
const conn = await instance.connect();
const perBatch = new Map(
  (
    await conn.runAndReadAll(
      `SELECT regexp_extract(path, '^(/c\\d+/b\\d+/)', 1), count(*)::INT FROM requests WHERE path LIKE '/c%' GROUP BY 1`,
    )
  ).getRowsJS(),
);
conn.closeSync();
instance.closeSync();
const torn = [...perBatch.values()].filter((n) => n !== 500).length;
const missing = [...before].filter((b) => perBatch.get(b) !== 500).length;
console.log(
  `backup of ${written.requests.toLocaleString('en-US')} rows (file ${(statSync(db).size / 1e6).toFixed(1)} MB): ` +
    `${(written.ms / 1000).toFixed(1)} s, ${(written.bytes / 1e6).toFixed(1)} MB, WAL beside it: ${existsSync(`${file}.wal`)}`,
);
console.log(
  `ingest rows/s: before ${rate(acks[0].t + 1000, t0)}, during ${rate(t0, t1)}, after ${rate(t1, t2)}; refused batches ${refused}`,
);
console.log(
  `snapshot: ${perBatch.size} batches in the backup, ${torn} in part, ${missing} of ${before.size} acknowledged before the signal missing`,
);
console.log(`files: ${readdirSync(join(work, 'bk')).join(', ')}`);
rmSync(work, { recursive: true, force: true });
