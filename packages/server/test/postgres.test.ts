// What the README promises of PostgreSQL in particular, checked against the real server: servers
// starting together migrate once (advisory lock), a batch racing a key's deletion is deleted with
// it or refused, and the password of DATABASE_URL never reaches a log line or an error message.
// Races are made certain, not likely: the test holds a table lock that the racing transactions
// need, waits until PostgreSQL shows them all waiting, then lets them go together.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../test-utils/helpers.js';
import { pgServerUrl } from '../../../test-utils/pg.js';
import { hashApiKey, type Store } from '../src/index.js';
import { INSERT_INTO } from '../src/store/sql.js';
import {
  type CliProcess,
  call,
  freshStore,
  generateKey,
  getData,
  ingest,
  runCli,
  startServer,
  type TestServer,
  wireRow,
} from './harness.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

/**
 * Waits until `n` sessions of the database wait for a lock (PostgreSQL's own view of it), or
 * until `settled()` says there is nothing left to wait for. With `statement`, only sessions
 * running a statement that contains it count: on a loaded machine another of the server's
 * statements (a drain, the maintenance job) may be the one waiting.
 */
async function waitForLockWaiters(
  admin: pg.Client,
  database: string,
  n: number,
  settled: () => boolean = () => false,
  statement = '',
): Promise<void> {
  // Loose: two servers starting from source (tsx) beside the three-process test can take long.
  const deadline = Date.now() + 60_000;
  while (!settled()) {
    // Inside a transaction (the one holding the lock) the view is a snapshot: refresh it.
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const r = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock' AND strpos(query, $2) > 0`,
      [database, statement],
    );
    if (r.rows[0]!.n >= n) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0]!.n} of ${n} sessions waiting for a lock`);
    await sleep(20);
  }
}

const databaseOf = (url: string) => new URL(url).pathname.slice(1);

async function stop(cli: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (cli.proc.exitCode === null) cli.proc.kill('SIGTERM');
  return cli.exit;
}

describe('PostgreSQL: servers starting together against one database', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('migrate one after the other (advisory lock): both start, every migration applied once', {
    timeout: 90_000,
  }, async () => {
    // The migrations table as the first statement of a migration leaves it, held locked by the
    // test so that both servers are inside migrate() when it is released.
    await admin.query(`CREATE TABLE schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE');
    const servers = [0, 1].map(() => runCli(['serve', '--database-url', db.url, '--port', '0']));
    try {
      await waitForLockWaiters(admin, databaseOf(db.url), 2);
      await admin.query('COMMIT');
      const urls = await Promise.all(servers.map((s) => s.url));
      for (const url of urls) {
        expect((await call(url, 'GET', '/api/health')).json).toMatchObject({
          status: 'ok',
          schema_version: 5,
        });
      }
      const applied = await admin.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(applied.rows).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
        { version: 4 },
        { version: 5 },
      ]);
      for (const s of servers) expect(await stop(s)).toEqual({ code: 0, signal: null });
    } finally {
      await admin.query('ROLLBACK').catch(() => {});
      for (const s of servers) s.proc.kill('SIGKILL');
    }
  });
});

/** A server on a fresh PostgreSQL store and a connection of the test's own to its database. */
function serverWithAdmin() {
  const f = {} as { store: Store; databaseUrl: string; server: TestServer; admin: pg.Client };
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const s = await freshStore('PostgreSQL');
    cleanup = s.cleanup;
    f.store = s.store;
    f.databaseUrl = s.location.databaseUrl!;
    f.server = await startServer(f.store, { rateLimitPerMinute: 0 });
    f.admin = new pg.Client({ connectionString: f.databaseUrl });
    await f.admin.connect();
  });
  afterAll(async () => {
    await f.admin?.end();
    await f.server?.close();
    await cleanup?.();
  });
  return f;
}

describe('PostgreSQL: deleting a key while a batch for it is in flight', () => {
  const f = serverWithAdmin();

  /** A key with `n` rows stored, and its store id. */
  async function keyWithRows(n: number) {
    const { api_key } = await generateKey(f.server.url);
    const rows = Array.from({ length: n }, (_, i) => wireRow({ path: `/before/${i}` }));
    expect((await ingest(f.server.url, { api_key, requests: rows })).json.accepted).toBe(n);
    const key = await f.store.findKeyByHash(hashApiKey(api_key));
    return { apiKey: api_key, id: key!.id };
  }

  it('a batch already writing lands before the deletion, which then deletes it too', async () => {
    const { apiKey, id } = await keyWithRows(3);
    // The batch has checked its key and waits inside its transaction to number its rows: the
    // test holds the row-id sequence (ALTER SEQUENCE locks out nextval until COMMIT). A deletion
    // that did not wait for the batch would now run to its end, and the batch would then store
    // rows under a key that no longer exists.
    await f.admin.query('BEGIN');
    await f.admin.query('ALTER SEQUENCE requests_id_seq CACHE 1');
    let ingested: ReturnType<typeof ingest> | undefined;
    let deleted: ReturnType<typeof call> | undefined;
    try {
      ingested = ingest(f.server.url, {
        api_key: apiKey,
        requests: [wireRow({ path: '/racing/1' }), wireRow({ path: '/racing/2' })],
      });
      // The batch's own statement, waiting for a row id.
      await waitForLockWaiters(f.admin, databaseOf(f.databaseUrl), 1, undefined, INSERT_INTO);
      let answered = false;
      deleted = call(f.server.url, 'DELETE', '/api/delete', { 'x-auth-token': apiKey }).finally(() => {
        answered = true;
      });
      // The deletion waits for the batch (a second session waiting), or has finished without it.
      await waitForLockWaiters(f.admin, databaseOf(f.databaseUrl), 2, () => answered);
    } finally {
      await f.admin.query('COMMIT');
    }
    const [i, d] = await Promise.all([ingested!, deleted!]);
    expect([i.status, i.json]).toEqual([200, { accepted: 2, rejected: [] }]);
    expect([d.status, d.json]).toEqual([200, { deleted: { keys: 1, requests: 5, monitors: 0, pings: 0 } }]);
    expect(await f.store.countRequests(id)).toBe(0);
  });

  it('a batch that reaches the database after the deletion is refused with 401 and stores nothing', async () => {
    const { apiKey, id } = await keyWithRows(2);
    // The batch has found its key and waits to write its new user agent; the deletion completes.
    await f.admin.query('BEGIN');
    await f.admin.query('LOCK TABLE user_agents IN SHARE MODE');
    let ingested: ReturnType<typeof ingest> | undefined;
    try {
      ingested = ingest(f.server.url, {
        api_key: apiKey,
        requests: [wireRow({ path: '/late', user_agent: `late-agent/${Date.now()}` })],
      });
      await waitForLockWaiters(f.admin, databaseOf(f.databaseUrl), 1, undefined, 'INSERT INTO user_agents');
      const d = await call(f.server.url, 'DELETE', '/api/delete', { 'x-auth-token': apiKey });
      expect(d.json).toEqual({ deleted: { keys: 1, requests: 2, monitors: 0, pings: 0 } });
    } finally {
      await f.admin.query('COMMIT');
    }
    const i = await ingested!;
    expect(i.status).toBe(401);
    expect(i.json.error).toMatch(/^unknown API key/);
    expect(await f.store.countRequests(id)).toBe(0);
  });
});

describe('PostgreSQL: a batch id stores a retried batch once', () => {
  const f = serverWithAdmin();

  const post = (apiKey: string, batchId: string | undefined, paths: string[]) =>
    ingest(
      f.server.url,
      { api_key: apiKey, requests: paths.map((path) => wireRow({ path })) },
      { headers: batchId === undefined ? {} : { 'apilens-batch-id': batchId } },
    );
  const idOf = async (apiKey: string) => (await f.store.findKeyByHash(hashApiKey(apiKey)))!.id;

  it('two attempts of one batch racing in two transactions: stored once, both answered as accepted', async () => {
    const { api_key } = await generateKey(f.server.url);
    // Both attempts wait on the batch id table, then go together: one records the id and stores
    // the rows, the other waits for its commit on the id's index entry and stores nothing.
    await f.admin.query('BEGIN');
    await f.admin.query('LOCK TABLE ingest_batches IN ACCESS EXCLUSIVE MODE');
    let attempts: Array<ReturnType<typeof post>> = [];
    try {
      attempts = [0, 1].map(() => post(api_key, 'batch-race-1', ['/a', '/b', '/c']));
      await waitForLockWaiters(f.admin, databaseOf(f.databaseUrl), 2);
    } finally {
      await f.admin.query('COMMIT');
    }
    for (const r of await Promise.all(attempts)) {
      expect([r.status, r.json]).toEqual([200, { accepted: 3, rejected: [] }]);
    }
    expect(await f.store.countRequests(await idOf(api_key))).toBe(3);
  });

  it('an id is per key; a batch without one is stored each time; a malformed one is a 400', async () => {
    const [a, b] = [await generateKey(f.server.url), await generateKey(f.server.url)];
    for (let i = 0; i < 2; i++) {
      expect((await post(a.api_key, 'same-id', ['/x'])).status).toBe(200);
      expect((await post(b.api_key, 'same-id', ['/x', '/y'])).status).toBe(200);
      expect((await post(b.api_key, undefined, ['/z'])).status).toBe(200);
    }
    expect(await f.store.countRequests(await idOf(a.api_key))).toBe(1);
    expect(await f.store.countRequests(await idOf(b.api_key))).toBe(4);
    const bad = await post(a.api_key, 'not an id!', ['/x']);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/apilens-batch-id/);
    expect(await f.store.countRequests(await idOf(a.api_key))).toBe(1);
  });

  it('ids are forgotten after a day (then a retry would be stored again) and with their key', async () => {
    const { api_key } = await generateKey(f.server.url);
    const id = await idOf(api_key);
    await post(api_key, 'old-batch', ['/o']);
    await post(api_key, 'new-batch', ['/n']);
    await f.admin.query(`UPDATE ingest_batches SET received_at = 0 WHERE batch_id = 'old-batch'`);
    expect(await f.store.forgetBatchesBefore!(Date.now() - 86_400_000)).toBe(1);
    await post(api_key, 'old-batch', ['/o']);
    await post(api_key, 'new-batch', ['/n']);
    expect(await f.store.countRequests(id)).toBe(3);
    await f.store.deleteKey(id);
    const left = await f.admin.query('SELECT count(*)::int AS n FROM ingest_batches WHERE key_id = $1', [id]);
    expect(left.rows[0].n).toBe(0);
  });
});

describe('PostgreSQL: the password of DATABASE_URL', () => {
  const PASSWORD = 'Pa55-w0rd-never-logged';
  let db: TestDatabase;
  let role: string;
  let url: string;
  let admin: pg.Client;
  const outputs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    role = `apilens_pw_${databaseOf(db.url).slice(-8)}`;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT ALL ON SCHEMA public TO ${role}`);
    const u = new URL(db.url);
    u.username = role;
    u.password = PASSWORD;
    url = u.toString();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
    // Roles belong to the server, not to the dropped database.
    const server = new pg.Client({ connectionString: pgServerUrl() });
    await server.connect();
    await server.query(`DROP ROLE IF EXISTS ${role}`);
    await server.end();
  });

  // Several command processes one after the other, each seconds to start on a loaded machine.
  it('appears in no log line and no error, at debug level, on every path', { timeout: 90_000 }, async () => {
    const debug = ['--log-level', 'debug'];
    /** Runs a command that must fail with `says`, keeping its output. */
    const failing = async (args: string[], says: RegExp, env: Record<string, string> = {}) => {
      const cli = runCli(args, env);
      expect((await cli.exit).code, args.join(' ')).toBe(1);
      expect(cli.output(), args.join(' ')).toMatch(says);
      outputs.push(cli.output());
    };
    // Serving: the listen line and requests, good and bad.
    const serve = runCli(['serve', '--database-url', url, '--port', '0', ...debug]);
    const base = await serve.url;
    expect(serve.output()).toContain(`storing in PostgreSQL postgres://${role}@`);
    const { api_key } = await generateKey(base);
    expect((await ingest(base, { api_key, requests: [wireRow()] })).status).toBe(200);
    expect((await getData(base, api_key, 'format=csv')).status).toBe(200);
    expect((await getData(base, api_key, 'page=0')).status).toBe(400);
    expect((await ingest(base, '{"api_key":')).status).toBe(400);

    // Commands: a key made and deleted; a database that does not exist; a port where nothing
    // listens (from the environment, as DATABASE_URL).
    const create = runCli(['keys', 'create', '--json', '--database-url', url]);
    expect((await create.exit).code).toBe(0);
    outputs.push(create.output());
    const del = runCli(['keys', 'delete', JSON.parse(create.output()).api_key, '--database-url', url]);
    expect((await del.exit).code).toBe(0);
    outputs.push(del.output());
    const missing = new URL(url);
    missing.pathname = '/no_such_database';
    await failing(['keys', 'delete', api_key, '--database-url', missing.toString()], /does not exist/);
    const refused = new URL(url);
    refused.port = '1';
    await failing(['serve', '--port', '0', ...debug], /ECONNREFUSED/, { DATABASE_URL: refused.toString() });

    // The database lost under the running server: its connections cut, and the role refused.
    await admin.query(`ALTER ROLE ${role} NOLOGIN`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseOf(db.url)],
    );
    expect((await ingest(base, { api_key, requests: [wireRow()] })).status).toBe(503);
    expect((await getData(base, api_key)).status).toBe(503);
    expect((await call(base, 'GET', '/api/health')).status).toBe(503);
    expect(await stop(serve)).toEqual({ code: 0, signal: null });
    // The failures were logged, with the database's errors.
    expect(serve.output()).toMatch(/"level":50,.*"code":"28000".*"msg":"store operation failed"/);
    outputs.push(serve.output());
    await failing(['serve', '--database-url', url, '--port', '0', ...debug], /not permitted to log in/);

    for (const out of outputs) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(encodeURIComponent(PASSWORD));
    }
  });
});
