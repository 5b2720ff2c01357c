import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, until } from '../../../test-utils/helpers.js';
import { hashApiKey, openDuckDbStore, openStore } from '../src/index.js';
import { type CliProcess, call, generateKey, ingest, runCli, wireRow } from './harness.js';
import { tempDir } from './helpers.js';

describe('apilens command', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  beforeAll(() => {
    tmp = tempDir();
    db = join(tmp.dir, 'cli.duckdb');
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

  // Five command processes one after the other: on a loaded 2-core machine each can take seconds to start.
  it('keys create prints a key and dashboard id; keys delete removes it with its rows', {
    timeout: 90_000,
  }, async () => {
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
    const fresh = join(tmp.dir, 'fresh.duckdb');
    const serve = runCli(['serve', '--port', '0', '--host', '127.0.0.1'], { APILENS_DB: fresh });
    const url = await serve.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const lines = serve
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.includes('listening'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`storing in DuckDB ${fresh}`);
    // Migrations 1 (requests, keys), 2 (monitoring) and 3 (batch ids) on a fresh file.
    expect((await call(url, 'GET', '/api/health')).json).toMatchObject({ status: 'ok', schema_version: 3 });
    serve.proc.kill('SIGINT');
    expect((await serve.exit).code).toBe(0);
    const store = openDuckDbStore(fresh);
    expect(await store.schemaVersion()).toBe(3);
    await store.close();
  });

  it('with no --db, serve stores in ./apilens.duckdb of its working directory', async () => {
    const cwd = tempDir();
    try {
      const serve = runCli(['serve', '--port', '0'], {}, cwd.dir);
      const url = await serve.url;
      expect(serve.output()).toContain('storing in DuckDB ./apilens.duckdb');
      const { api_key } = await generateKey(url);
      expect((await ingest(url, { api_key, requests: [wireRow()] })).json.accepted).toBe(1);
      serve.proc.kill('SIGTERM');
      expect((await serve.exit).code).toBe(0);
      const store = await openStore({ db: join(cwd.dir, 'apilens.duckdb') });
      try {
        expect(store.kind).toBe('duckdb');
        expect(await store.countRequests()).toBe(1);
      } finally {
        await store.close();
      }
    } finally {
      cwd.remove();
    }
  });

  it('a second serve on the same DuckDB file fails at once, saying one process per file and what to do', async () => {
    const file = join(tmp.dir, 'shared.duckdb');
    const first = runCli(['serve', '--port', '0', '--db', file]);
    const url = await first.url;
    try {
      const second = runCli(['serve', '--port', '0', '--db', file]);
      const exit = await Promise.race([second.exit, sleep(30_000).then(() => 'still running')]);
      expect(exit, second.output()).toEqual({ code: 1, signal: null });
      expect(second.output()).toMatch(
        new RegExp(
          `apilens: @apilens/server: the DuckDB file ${file.replace(/[.]/g, '\\.')} is open in another process`,
        ),
      );
      expect(second.output()).toMatch(/one process per file: stop the other collector/);
      expect(second.output()).toMatch(/--database-url/);
      expect(second.output()).not.toMatch(/listening/);
      // The first one is unharmed.
      expect((await call(url, 'GET', '/api/health')).json).toMatchObject({ status: 'ok', store: 'duckdb' });
    } finally {
      first.proc.kill('SIGTERM');
      await first.exit;
    }
  });

  it('PORT and HOST from the environment; a bad DATABASE_URL fails with a message', async () => {
    const serve = runCli(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      APILENS_DB: join(tmp.dir, 'env.duckdb'),
    });
    const url = await serve.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    serve.proc.kill('SIGTERM');
    await serve.exit;
    const bad = runCli(['serve', '--port', '0'], { DATABASE_URL: 'mysql://nope' });
    expect((await bad.exit).code).toBe(1);
    expect(bad.output()).toMatch(/databaseUrl/);
  });
});

/** A raw HTTP/1.1 connection, for requests fetch cannot make: a body sent in parts, `Expect: 100-continue`. */
class RawConnection {
  received = '';
  private readonly socket: Socket;
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
      for (const wake of this.waiters) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        resolve();
        for (const wake of this.waiters) wake();
      }),
    );
  }

  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves once `ready(received)` gives a value; fails if the connection closes first. */
  until<T>(ready: (received: string) => T | undefined, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = ready(this.received);
        if (value !== undefined) {
          this.waiters.delete(check);
          resolve(value);
        } else if (this.socket.destroyed) {
          this.waiters.delete(check);
          reject(new Error(`connection closed before ${what}; received: ${JSON.stringify(this.received)}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The first complete final response (after any `100 Continue`). */
  response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return this.until((text) => {
      const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const end = final.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const [statusLine, ...lines] = final.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const body = final.slice(end + 4);
      if (Buffer.byteLength(body) < Number(headers['content-length'])) return undefined;
      return { status: Number(statusLine!.split(' ')[1]), headers, body };
    }, 'a complete response');
  }
}

/** The head of an ingest request announcing `body`. */
const ingestHead = (body: string, extra = '') =>
  `POST /api/log-request HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`;

describe('graceful shutdown', () => {
  let tmp: ReturnType<typeof tempDir>;
  const started: CliProcess[] = [];
  beforeAll(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    // A failed test leaves no collector behind waiting for a body that never comes.
    for (const cli of started.splice(0)) if (cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
  });
  afterAll(() => tmp.remove());

  /**
   * Starts `apilens serve` and puts a batch in flight: its headers and the start of its body are
   * sent with `Expect: 100-continue`, and the collector's `100 Continue` says it is handling it.
   */
  async function batchInFlight(db: string) {
    const serve = runCli(['serve', '--db', db, '--port', '0']);
    started.push(serve);
    const url = await serve.url;
    const { api_key } = await generateKey(url);
    const body = JSON.stringify({
      api_key,
      framework: 'Express',
      requests: [wireRow({ path: '/in-flight/1' }), wireRow({ path: '/in-flight/2' })],
    });
    const inFlight = await RawConnection.open(url);
    inFlight.write(ingestHead(body, 'Expect: 100-continue\r\n') + body.slice(0, 20));
    await inFlight.until(
      (t) => (t.startsWith('HTTP/1.1 100 Continue\r\n\r\n') ? true : undefined),
      '100 Continue',
    );
    const signalled = (signal: NodeJS.Signals) => {
      serve.proc.kill(signal);
      // Logged just before the server starts closing.
      return until(
        () => serve.output().includes(`${signal}: finishing in-flight batches`),
        `the ${signal} log line`,
      );
    };
    return { serve, url, api_key, inFlight, rest: body.slice(20), signalled };
  }

  it('SIGTERM: the batch in flight is stored and answered 200, a new one gets 503 with Retry-After, exit 0', async () => {
    const db = join(tmp.dir, 'graceful.duckdb');
    const { serve, api_key, url, inFlight, rest, signalled } = await batchInFlight(db);
    // A connection made before the signal, whose request comes after it.
    const late = await RawConnection.open(url);
    await signalled('SIGTERM');
    const lateBody = JSON.stringify({ api_key, requests: [wireRow({ path: '/late' })] });
    late.write(ingestHead(lateBody) + lateBody);
    const refused = await late.response();
    expect(refused.status).toBe(503);
    expect(refused.headers).toMatchObject({ 'retry-after': '5', connection: 'close' });
    expect(JSON.parse(refused.body)).toEqual({
      error: 'the collector is shutting down; retry in a few seconds',
    });
    // The batch in flight finishes after the signal and is answered once stored.
    inFlight.write(rest);
    const answered = await inFlight.response();
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({ accepted: 2, rejected: [] });
    expect(await serve.exit).toEqual({ code: 0, signal: null });
    const store = await openStore({ db });
    try {
      const key = await store.findKeyByHash(hashApiKey(api_key));
      const rows = await store.queryRequests(key!.id, { limit: 10 });
      expect(rows.map((r) => r.path)).toEqual(['/in-flight/1', '/in-flight/2']);
    } finally {
      await store.close();
    }
  });

  it('a second signal exits at once, without waiting for the batch in flight', async () => {
    const db = join(tmp.dir, 'twice.duckdb');
    const { serve, inFlight, signalled } = await batchInFlight(db);
    await signalled('SIGTERM');
    // The first signal waits for the batch, whose body never comes…
    expect(serve.proc.exitCode).toBeNull();
    // …the second does not.
    serve.proc.kill('SIGINT');
    const exit = await Promise.race([serve.exit, sleep(10_000).then(() => 'still running')]);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(serve.output()).toMatch(/SIGINT again: exiting without waiting/);
    await inFlight.closed;
    expect(inFlight.received).toBe('HTTP/1.1 100 Continue\r\n\r\n');
  });
});
