// Backups of the DuckDB file while the collector runs (--backup-dir), through the CLI: SIGUSR2 under
// continuous ingest, scheduled backups and pruning, a backup folder that fails, wrong flags.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliProcess, generateKey, getData, ingest, runCli, wireRow } from './harness.js';

const ROWS = 500;
const tmp = mkdtempSync(join(tmpdir(), 'apilens-backup-'));
const started: CliProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function serve(db: string, extra: string[]): CliProcess {
  mkdirSync(dirname(db), { recursive: true });
  const c = runCli(['serve', '--port', '0', '--rate-limit', '0', '--db', db, ...extra]);
  started.push(c);
  return c;
}

async function stop(c: CliProcess): Promise<number | null> {
  c.proc.kill('SIGTERM');
  return (await c.exit).code;
}

/** Resolves with the first match of `pattern` in the collector's output once it appears. */
async function waitForLog(c: CliProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(c.output());
    if (m) return m;
    if (c.proc.exitCode !== null) throw new Error(`the collector exited before ${pattern}:\n${c.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${c.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Log lines (pino JSON) whose message matches. */
function logLines(c: CliProcess, msg: RegExp): Array<Record<string, unknown>> {
  return c
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => msg.test(String(l.msg)));
}

/** Resolves once `n` log lines have a message matching `msg`. */
async function waitForLines(c: CliProcess, msg: RegExp, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (logLines(c, msg).length < n) {
    if (c.proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`not ${n} log lines matching ${msg}:\n${c.output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const batch = (apiKey: string, client: number, n: number) => ({
  api_key: apiKey,
  framework: 'Express',
  privacy_level: 0,
  requests: Array.from({ length: ROWS }, (_, i) => wireRow({ path: `/c${client}/b${n}/r${i}` })),
});

/** Rows per batch (`/c<client>/b<n>/`) stored under the key, read through the data API. */
async function batchesOf(url: string, apiKey: string): Promise<Map<string, number>> {
  const r = await getData(url, apiKey, 'format=ndjson');
  expect(r.status).toBe(200);
  const perBatch = new Map<string, number>();
  for (const line of r.text.split('\n').filter(Boolean)) {
    const path = (JSON.parse(line) as { path: string }).path;
    const b = path.slice(0, path.lastIndexOf('/') + 1);
    perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
  }
  return perBatch;
}

describe('DuckDB backups while the collector runs (--backup-dir)', () => {
  it('SIGUSR2 under continuous ingest: a snapshot holding every batch acknowledged before it, whole; a collector starts on it', async () => {
    const dir = join(tmp, 'live');
    const backups = join(dir, 'backups');
    const collector = serve(join(dir, 'apilens.duckdb'), ['--backup-dir', backups, '--backup-interval', '0']);
    const url = await collector.url;
    const { api_key } = await generateKey(url);

    // Three clients send 500-row batches one after the other, without pause, until told to stop.
    const acked: Array<{ at: number; batch: string }> = [];
    const statuses: number[] = [];
    let writing = true;
    const client = async (c: number) => {
      for (let n = 0; writing; n++) {
        const r = await ingest(url, batch(api_key, c, n), { gzip: n % 2 === 0 });
        statuses.push(r.status);
        if (r.status === 200 && r.json?.accepted === ROWS)
          acked.push({ at: Date.now(), batch: `/c${c}/b${n}/` });
      }
    };
    const clients = [0, 1, 2].map(client);
    while (acked.length < 30) await new Promise((r) => setTimeout(r, 20));

    const signalledAt = Date.now();
    const before = new Set(acked.map((a) => a.batch));
    collector.proc.kill('SIGUSR2');
    const [, file] = await waitForLog(collector, /"file":"([^"]+)"[^\n]*"msg":"backup \(SIGUSR2\): written"/);
    const writtenAt = Date.now();
    // Ingest went on during the backup and after it.
    const during = acked.filter((a) => a.at > signalledAt && a.at < writtenAt).length;
    while (acked.filter((a) => a.at > writtenAt).length < 6) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await Promise.all(clients);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(during, 'batches acknowledged while the backup ran').toBeGreaterThan(0);

    // The complete backup only: no temporary file, no WAL beside it (the file opens on its own).
    expect(readdirSync(backups)).toEqual([file!.slice(backups.length + 1)]);
    expect(file).toMatch(/\/apilens-\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z\.duckdb$/);
    expect(existsSync(`${file}.wal`)).toBe(false);

    const restored = serve(file!, []);
    try {
      const inBackup = await batchesOf(await restored.url, api_key);
      // Every batch acknowledged before the signal, each whole; no batch in part.
      for (const b of before) expect(inBackup.get(b), `batch ${b}`).toBe(ROWS);
      for (const [b, n] of inBackup) expect(n, `batch ${b}`).toBe(ROWS);
      // A snapshot: each client sends its next batch only once the last was answered, so a
      // consistent copy holds, per client, batches 0..k without a gap.
      for (const c of [0, 1, 2]) {
        const ns = [...inBackup.keys()]
          .filter((b) => b.startsWith(`/c${c}/`))
          .map((b) => Number(/\/b(\d+)\//.exec(b)![1]))
          .sort((x, y) => x - y);
        expect(ns).toEqual(ns.map((_, i) => i));
      }
      // The live collector kept everything, including what came after the backup.
      const live = await batchesOf(url, api_key);
      expect(live.size).toBe(acked.length);
      expect(inBackup.size).toBeLessThan(live.size);
    } finally {
      expect(await stop(restored)).toBe(0);
      expect(await stop(collector)).toBe(0);
    }
  }, 180_000);

  it('scheduled backups (--backup-interval 1s) keep the newest --backup-keep, and leave other files alone', async () => {
    const dir = join(tmp, 'prune');
    const backups = join(dir, 'backups');
    mkdirSync(backups, { recursive: true });
    const foreign = ['notes.txt', 'other-2026-01-01T000000.000Z.duckdb', 'apilens.duckdb'];
    for (const f of foreign) writeFileSync(join(backups, f), 'not ours');
    // An older backup of this database (pruned like the new ones) and the temporary files of a
    // backup cut short (removed before the next one).
    writeFileSync(join(backups, 'apilens-2020-01-01T000000.000Z.duckdb'), 'old backup');
    writeFileSync(join(backups, 'apilens-2020-01-02T000000.000Z.duckdb.tmp'), 'cut short');
    writeFileSync(join(backups, 'apilens-2020-01-02T000000.000Z.duckdb.tmp.wal'), 'cut short');

    const collector = serve(join(dir, 'apilens.duckdb'), [
      '--backup-dir',
      backups,
      '--backup-interval',
      '1s',
      '--backup-keep',
      '2',
    ]);
    const url = await collector.url;
    const { api_key } = await generateKey(url);
    expect((await ingest(url, batch(api_key, 0, 0))).status).toBe(200);
    await waitForLines(collector, /^backup \(scheduled\): written$/, 3);
    expect(await stop(collector)).toBe(0);

    const written = logLines(collector, /^backup \(scheduled\): written$/).map((l) => String(l.file));
    expect(written.length).toBeGreaterThanOrEqual(3);
    const newest = written.slice(-2).map((f) => f.slice(backups.length + 1));
    expect(readdirSync(backups).sort()).toEqual([...foreign, ...newest].sort());
  }, 120_000);

  it('a backup folder that fails is logged; ingest and reads go on, and the next backup works', async () => {
    const dir = join(tmp, 'failing');
    const backups = join(dir, 'backups');
    const collector = serve(join(dir, 'apilens.duckdb'), ['--backup-dir', backups, '--backup-interval', '0']);
    const url = await collector.url;
    const { api_key } = await generateKey(url);
    expect((await ingest(url, batch(api_key, 0, 0))).status).toBe(200);
    // The folder becomes a file (root may write anywhere, so permissions would not do).
    rmSync(backups, { recursive: true });
    writeFileSync(backups, 'not a folder');
    collector.proc.kill('SIGUSR2');
    const failing = ingest(url, batch(api_key, 0, 1));
    await waitForLog(collector, /backup \(SIGUSR2\) failed; the collector goes on without it/);
    expect((await failing).status).toBe(200);
    expect((await ingest(url, batch(api_key, 0, 2))).status).toBe(200);
    expect([...(await batchesOf(url, api_key)).values()]).toEqual([ROWS, ROWS, ROWS]);
    const [failure] = logLines(collector, /failed/);
    expect(failure).toMatchObject({ level: 50, err: { message: expect.stringContaining(backups) } });

    rmSync(backups);
    mkdirSync(backups);
    collector.proc.kill('SIGUSR2');
    const [, file] = await waitForLog(collector, /"file":"([^"]+)"[^\n]*"requests":1500,/);
    expect(readdirSync(backups)).toEqual([file!.slice(backups.length + 1)]);

    // A stop during a backup: the backup is cut short (or finishes first); the collector exits
    // cleanly and no temporary file is left.
    collector.proc.kill('SIGUSR2');
    await waitForLines(collector, /^backup \(SIGUSR2\): started$/, 3);
    expect(await stop(collector)).toBe(0);
    expect(readdirSync(backups).filter((f) => !f.endsWith('.duckdb'))).toEqual([]);
  }, 120_000);

  it.each([
    [
      'with PostgreSQL',
      ['--backup-dir', 'b', '--database-url', 'postgres://u@127.0.0.1:1/x'],
      1,
      /--backup-dir.*PostgreSQL.*pg_dump/,
    ],
    [
      'a wrong interval',
      ['--backup-dir', 'b', '--backup-interval', 'daily'],
      2,
      /--backup-interval must be a duration/,
    ],
    [
      '--backup-keep 0',
      ['--backup-dir', 'b', '--backup-keep', '0'],
      1,
      /"backupKeep" must be an integer >= 1/,
    ],
    [
      'a folder it cannot create',
      ['--backup-dir', 'file/sub'],
      1,
      /backup directory \S+file\/sub .*cannot be created/,
    ],
  ])(
    'refuses to start: %s',
    async (_, flags, code, message) => {
      const dir = join(tmp, `refuse-${code}-${flags.length}-${flags.at(-1)!.length}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'file'), 'a file');
      const args = flags.map((f) => (f === 'b' || f === 'file/sub' ? join(dir, f) : f));
      const c = serve(join(dir, 'apilens.duckdb'), args);
      expect((await c.exit).code).toBe(code);
      expect(c.output()).toMatch(message);
    },
    60_000,
  );
});
