// The real collector for end-to-end tests: the built `apilens serve` (packages/server/dist/cli.cjs)
// in a child process, in a temporary directory so that it stores in its default database file
// there, whatever the default store is. Rows are read back through the data API, as a user would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, packageDir } from './build.js';
import { reapOnExit } from './helpers.js';

/** A row as `GET /api/data` returns it. */
export interface DataRow {
  hostname: string | null;
  ip_address: string | null;
  path: string;
  route: string | null;
  user_agent: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  method: string;
  status: number;
  response_time: number;
  location: string | null;
  user_id: string | null;
  framework: string | null;
  created_at: string;
}

export interface RealCollector {
  /** Base URL, `http://127.0.0.1:<port>`: an SDK's `serverUrl`. */
  url: string;
  /** A key made with `POST /api/generate`. */
  apiKey: string;
  /** Every row stored under `apiKey` (page 1 of the data API, oldest first). */
  rows(): Promise<DataRow[]>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Stops it with SIGTERM and removes its directory; throws if it does not exit cleanly. */
  close(): Promise<void>;
}

/** A Chrome user agent and what the collector's parser makes of it. */
export const CHROME = {
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  browser: 'Chrome',
  os: 'Windows',
  device: 'desktop',
} as const;

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Starts `apilens serve` (building @apilens/server first if its dist is stale) and makes a key. */
export async function startRealCollector(): Promise<RealCollector> {
  await ensureBuilt(['server']);
  const dir = mkdtempSync(join(tmpdir(), 'apilens-e2e-'));
  const child = spawn(
    process.execPath,
    [join(packageDir('server'), 'dist/cli.cjs'), 'serve', '--port', '0', '--host', '127.0.0.1'],
    // No DATABASE_URL from the environment: the default store, in `dir`.
    { cwd: dir, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  reapOnExit(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk;
      const m = /apilens listening on (http:\/\/[^\s,"]+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited(child).then(({ code, signal }) =>
      reject(new Error(`apilens serve exited (${code ?? signal}) before listening:\n${out}`)),
    );
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const base = await url;
    const generated = await fetch(`${base}/api/generate`, { method: 'POST' });
    if (generated.status !== 200) throw new Error(`POST /api/generate: ${generated.status}`);
    const { api_key: apiKey } = (await generated.json()) as { api_key: string };
    return {
      url: base,
      apiKey,
      async rows() {
        const res = await fetch(`${base}/api/data`, { headers: { 'x-auth-token': apiKey } });
        if (res.status !== 200) throw new Error(`GET /api/data: ${res.status} ${await res.text()}`);
        return (await res.json()) as DataRow[];
      },
      output: () => out,
      async close() {
        child.kill('SIGTERM');
        const { code, signal } = await exited(child);
        remove();
        if (code !== 0) throw new Error(`apilens serve ended with ${code ?? signal}:\n${out}`);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited(child);
    remove();
    throw err;
  }
}
