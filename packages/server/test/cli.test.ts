import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { call, ingest, runCli, wireRow } from './harness.js';
import { tempDir } from './helpers.js';

describe('apilens command', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  beforeAll(() => {
    tmp = tempDir();
    db = join(tmp.dir, 'cli.db');
  });
  afterAll(() => tmp.remove());

  it('--help and --version', async () => {
    const help = runCli(['--help']);
    expect((await help.exit).code).toBe(0);
    expect(help.output()).toMatch(/apilens serve \[options\]/);
    expect(help.output()).toMatch(/--database-url/);
    const version = runCli(['--version']);
    expect((await version.exit).code).toBe(0);
    expect(version.output().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects unknown flags and commands with exit code 2', async () => {
    const flag = runCli(['serve', '--colour', 'red']);
    expect((await flag.exit).code).toBe(2);
    expect(flag.output()).toMatch(/--colour/);
    const cmd = runCli(['launch']);
    expect((await cmd.exit).code).toBe(2);
    expect(cmd.output()).toMatch(/unknown command "launch"/);
    const port = runCli(['serve', '--port', 'abc']);
    expect((await port.exit).code).toBe(2);
    expect(port.output()).toMatch(/--port must be a whole number/);
  });

  it('keys create prints a key and dashboard id; keys delete removes it with its rows', async () => {
    const create = runCli(['keys', 'create', '--db', db]);
    expect((await create.exit).code).toBe(0);
    const key = /API key:\s+(\S+)/.exec(create.output())?.[1];
    const dash = /Dashboard id:\s+(\S+)/.exec(create.output())?.[1];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(dash).toBeTruthy();
    const json = runCli(['keys', 'create', '--json'], { APILENS_DB: db });
    expect((await json.exit).code).toBe(0);
    expect(JSON.parse(json.output())).toEqual({
      api_key: expect.any(String),
      dashboard_id: expect.any(String),
    });

    // Rows stored under the key, then the key deleted from the command line.
    const serve2 = runCli(['serve', '--db', db, '--port', '0']);
    const base = await serve2.url;
    expect((await ingest(base, { api_key: key, requests: [wireRow(), wireRow()] })).json.accepted).toBe(2);
    serve2.proc.kill('SIGTERM');
    expect((await serve2.exit).code).toBe(0);

    const del = runCli(['keys', 'delete', key!, '--db', db]);
    expect((await del.exit).code).toBe(0);
    expect(del.output()).toMatch(/Deleted 1 key and 2 requests/);
    const again = runCli(['keys', 'delete', key!, '--db', db]);
    expect((await again.exit).code).toBe(1);
    expect(again.output()).toMatch(/no such API key/);
  });

  it('serve logs one line with the address and the store, and applies migrations', async () => {
    const fresh = join(tmp.dir, 'fresh.db');
    const serve = runCli(['serve', '--port', '0', '--host', '127.0.0.1'], { APILENS_DB: fresh });
    const url = await serve.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const lines = serve
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.includes('listening'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`storing in SQLite ${fresh}`);
    expect((await call(url, 'GET', '/api/health')).json).toMatchObject({ status: 'ok', schema_version: 1 });
    serve.proc.kill('SIGINT');
    expect((await serve.exit).code).toBe(0);
    const store = openSqliteStore(fresh);
    expect(await store.schemaVersion()).toBe(1);
    await store.close();
  });

  it('PORT and HOST from the environment; a bad DATABASE_URL fails with a message', async () => {
    const serve = runCli(['serve'], { PORT: '0', HOST: '127.0.0.1', APILENS_DB: join(tmp.dir, 'env.db') });
    const url = await serve.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    serve.proc.kill('SIGTERM');
    await serve.exit;
    const bad = runCli(['serve', '--port', '0'], { DATABASE_URL: 'mysql://nope' });
    expect((await bad.exit).code).toBe(1);
    expect(bad.output()).toMatch(/databaseUrl/);
  });
});

describe('graceful shutdown', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.remove());

  it('SIGTERM finishes in-flight batches before exiting', async () => {
    const db = join(tmp.dir, 'g.db');
    const create = runCli(['keys', 'create', '--json', '--db', db]);
    await create.exit;
    const { api_key } = JSON.parse(create.output());
    const serve = runCli(['serve', '--db', db, '--port', '0', '--rate-limit', '0']);
    const url = await serve.url;
    // Several large batches in flight when the signal arrives.
    const batches = Array.from({ length: 6 }, (_, b) =>
      ingest(
        url,
        { api_key, requests: Array.from({ length: 5000 }, (_, i) => wireRow({ path: `/${b}/${i}` })) },
        { gzip: true },
      ).catch((err: Error) => ({ status: 0, json: undefined, text: err.message })),
    );
    await new Promise((r) => setTimeout(r, 30));
    serve.proc.kill('SIGTERM');
    const replies = await Promise.all(batches);
    expect((await serve.exit).code).toBe(0);
    const acked = replies.filter((r) => r.status === 200).length;
    expect(acked).toBeGreaterThan(0);
    const store = openSqliteStore(db);
    const total = await store.countRequests();
    await store.close();
    expect(total).toBe(acked * 5000);
    // Refused batches were answered, not dropped silently.
    for (const r of replies) expect([200, 503, 0]).toContain(r.status);
  });
});
