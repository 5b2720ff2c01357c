// A real apilens collector for tests that run outside the vitest process (other runtimes,
// installed tarballs): the `apilens` command started as a child process on 127.0.0.1, an API
// key made over HTTP, and the rows read back through the data API.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageDir } from './build.js';
import { reapOnExit } from './helpers.js';
import { watch } from './spawn-app.js';

/** A row of `GET /api/data`, the fields the tests compare. */
export interface DataRow {
  path: string;
  route: string | null;
  method: string;
  status: number;
  framework: string;
  user_agent: string | null;
  hostname: string | null;
  [field: string]: unknown;
}

export interface RunningServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything the server printed so far. */
  output(): string;
  /** A fresh API key, made with `POST /api/generate`. */
  createKey(): Promise<string>;
  /** Every row stored under `apiKey`, read with `GET /api/data`. */
  rows(apiKey: string): Promise<DataRow[]>;
  /** Polls the data API until `n` rows are stored under `apiKey`; fails with what it saw after `timeoutMs`. */
  waitForRows(apiKey: string, n: number, timeoutMs?: number): Promise<DataRow[]>;
  /** SIGTERM, then SIGKILL after 5 s; removes the database directory. */
  stop(): Promise<void>;
}

export interface ServerCommand {
  /** The executable, e.g. `process.execPath` or an installed `node_modules/.bin/apilens`. */
  command: string;
  /** Arguments before `serve`, e.g. the built CLI's path. */
  args?: string[];
  cwd?: string;
  /** The environment to start from. @default this process's */
  baseEnv?: NodeJS.ProcessEnv;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** The workspace's built `apilens` command (`packages/server/dist/cli.cjs`; needs `pnpm build`). */
export const builtCli = (): ServerCommand => ({
  command: process.execPath,
  args: [join(packageDir('server'), 'dist/cli.cjs')],
});

/**
 * Starts `apilens serve` on a free loopback port with its own DuckDB file in a temporary
 * directory, and resolves once it logged its listen line.
 */
export async function startApilensServer(cmd: ServerCommand = builtCli()): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'apilens-server-'));
  const child: ChildProcess = spawn(
    cmd.command,
    [
      ...(cmd.args ?? []),
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--db',
      join(dir, 'apilens.duckdb'),
      // info: the listen line is logged at that level.
      '--log-level',
      'info',
    ],
    {
      cwd: cmd.cwd ?? dir,
      // No DATABASE_URL from the environment: this server keeps its rows in its own file.
      env: { ...(cmd.baseEnv ?? process.env), DATABASE_URL: '', PORT: '', HOST: '', ...cmd.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  reapOnExit(child);
  const watched = watch(child);
  let url: string;
  try {
    url = (await watched.waitFor(/apilens listening on (http:\/\/[^\s,"]+)/, 30_000))[1]!;
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`apilens serve: ${(err as Error).message}`);
  }
  const out = watched.output;

  const rows = async (apiKey: string): Promise<DataRow[]> => {
    const res = await fetch(`${url}/api/data`, { headers: { 'x-auth-token': apiKey } });
    if (res.status !== 200) throw new Error(`GET /api/data answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as DataRow[];
  };

  return {
    url,
    output: out,
    async createKey() {
      const res = await fetch(`${url}/api/generate`, { method: 'POST' });
      if (res.status !== 200)
        throw new Error(`POST /api/generate answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { api_key: string }).api_key;
    },
    rows,
    async waitForRows(apiKey, n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = await rows(apiKey);
        if (got.length >= n) return got;
        if (Date.now() > deadline) {
          throw new Error(`the collector holds ${got.length} of ${n} rows after ${timeoutMs} ms:\n${out()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await watched.exit;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
