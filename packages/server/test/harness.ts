// Test harness: real servers on 127.0.0.1, real stores, real HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { reapOnExit } from '../../../test-utils/helpers.js';
import {
  buildServer,
  openDuckDbStore,
  openPostgresStore,
  type ServerOptions,
  type Store,
} from '../src/index.js';
import { hashApiKey } from '../src/keys.js';
import { createTestDatabase, tempDir } from './helpers.js';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(PACKAGE_DIR, 'src/cli.ts');
/** tsx's loader by URL, so the command runs from source in any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type StoreName = 'DuckDB' | 'PostgreSQL';
/** Every store the collector ships: each shared test runs on all of them. */
export const STORES: StoreName[] = ['DuckDB', 'PostgreSQL'];

/** Where a new, empty store of the given kind would live, not opened yet: for a collector process. */
export async function emptyLocation(
  name: StoreName,
): Promise<{ location: { db?: string; databaseUrl?: string }; args: string[]; cleanup(): Promise<void> }> {
  if (name === 'DuckDB') {
    const tmp = tempDir();
    const db = join(tmp.dir, 'apilens.duckdb');
    return { location: { db }, args: ['--db', db], cleanup: async () => tmp.remove() };
  }
  const pg = await createTestDatabase();
  return { location: { databaseUrl: pg.url }, args: ['--database-url', pg.url], cleanup: () => pg.drop() };
}

/** A fresh store of the given kind and where it lives (file or URL), for servers and CLIs. */
export async function freshStore(
  name: StoreName,
): Promise<{ store: Store; location: { db?: string; databaseUrl?: string }; cleanup(): Promise<void> }> {
  if (name === 'DuckDB') {
    const tmp = tempDir();
    const db = join(tmp.dir, 'apilens.duckdb');
    const store = openDuckDbStore(db);
    await store.migrate();
    return {
      store,
      location: { db },
      async cleanup() {
        await store.close();
        tmp.remove();
      },
    };
  }
  const pg = await createTestDatabase();
  const store = openPostgresStore(pg.url);
  await store.migrate();
  return {
    store,
    location: { databaseUrl: pg.url },
    async cleanup() {
      await store.close();
      await pg.drop();
    },
  };
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  store: Store;
  close(): Promise<void>;
}

/** buildServer on 127.0.0.1:0 over the given store. */
export async function startServer(store: Store, options: ServerOptions = {}): Promise<TestServer> {
  const app = buildServer({ store, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, store, close: () => app.close() };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST a payload (object, string or bytes) to the ingest endpoint. */
export async function ingest(
  url: string,
  payload: unknown,
  opts: { gzip?: boolean; path?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  let body: string | Buffer =
    typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.gzip) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  const res = await fetch(url + (opts.path ?? '/api/log-request'), {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return toReply(res);
}

/** GET /api/data (or another path) with the key in X-AUTH-TOKEN. */
export async function getData(
  url: string,
  apiKey: string | undefined,
  query = '',
  path = '/api/data',
): Promise<Reply> {
  const headers: Record<string, string> = apiKey === undefined ? {} : { 'x-auth-token': apiKey };
  return toReply(await fetch(`${url}${path}${query ? `?${query}` : ''}`, { headers }));
}

export async function call(url: string, method: string, path: string, headers: Record<string, string> = {}) {
  return toReply(await fetch(url + path, { method, headers }));
}

/** Creates a key over HTTP. */
export async function generateKey(url: string): Promise<{ api_key: string; dashboard_id: string }> {
  const r = await call(url, 'POST', '/api/generate');
  if (r.status !== 200) throw new Error(`generate failed: ${r.status} ${r.text}`);
  return r.json;
}

/** A server over a fresh store, with one key made over HTTP. */
export interface FreshKey {
  store: Store;
  server: TestServer;
  key: { api_key: string; dashboard_id: string };
  keyId: number;
  /** Closes the server and the store, and removes the store. */
  close(): Promise<void>;
}

/** A server over a fresh store with one key made over HTTP: what most HTTP tests start from. */
export async function serveFreshKey(name: StoreName, options: ServerOptions = {}): Promise<FreshKey> {
  const { store, cleanup } = await freshStore(name);
  const server = await startServer(store, options);
  const key = await generateKey(server.url);
  const keyId = (await store.findKeyByHash(hashApiKey(key.api_key)))!.id;
  return {
    store,
    server,
    key,
    keyId,
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

/** A wire row with sensible defaults. */
export function wireRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname: 'api.example.com',
    ip_address: '8.8.8.8',
    path: '/users/42',
    user_agent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    method: 'GET',
    status: 200,
    response_time: 12,
    user_id: null,
    created_at: '2026-11-27T10:00:00.000Z',
    route: '/users/:id',
    ...over,
  };
}

export interface CliProcess {
  proc: ChildProcess;
  /** Resolves with the base URL once the server logged its listen line. */
  url: Promise<string>;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the `apilens` command from source (tsx), as a child process, in `cwd` (where the default
 * `./apilens.duckdb` would be created). The store and address come only from `args` and `env`;
 * the demo dashboard is off unless `env` turns it on (its two weeks of writes at start are load
 * no test of the command is about).
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = PACKAGE_DIR,
): CliProcess {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { ...process.env, DATABASE_URL: '', APILENS_DB: '', PORT: '', HOST: '', APILENS_DEMO: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(proc);
  let out = '';
  let resolveUrl: (url: string) => void;
  let rejectUrl: (err: Error) => void;
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    const m = /apilens listening on (http:\/\/[^\s,"]+)/.exec(out);
    if (m) resolveUrl(m[1]!);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      rejectUrl(new Error(`apilens exited (${code ?? signal}) before listening:\n${out}`));
      resolve({ code, signal });
    });
  });
  url.catch(() => {});
  return { proc, url, output: () => out, exit };
}

/** Where a fresh store lives, and the store (DuckDB is read through it: one process per file). */
export interface StoreAccess {
  location: { db?: string; databaseUrl?: string };
  store: Store;
}

/**
 * Runs SQL straight against a store's database (`$1`, `$2`… placeholders, used in order) and
 * returns rows as arrays: PostgreSQL through its own driver, DuckDB through the open store's
 * read-only SQL (a second handle on the file would need another process).
 */
export async function queryDb(s: StoreAccess, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  const { db, databaseUrl } = s.location;
  if (db) return s.store.select!(sql, params);
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query({ text: sql, values: params, rowMode: 'array' })).rows;
  } finally {
    await c.end();
  }
}

/** Rows of the user_agents table holding these strings, read straight from the database. */
export async function countUserAgents(s: StoreAccess, agents: string[]): Promise<number> {
  const rows = await queryDb(
    s,
    `SELECT count(*) FROM user_agents WHERE user_agent IN (${agents.map((_, i) => `$${i + 1}`).join(', ')})`,
    agents,
  );
  return Number(rows[0]![0]);
}
