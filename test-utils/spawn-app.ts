// Child processes the tests wait on by what they print: apps in other runtimes or installed
// projects (`listening on <port>`), the collector (`apilens listening on …`).
import { type ChildProcess, spawn } from 'node:child_process';
import { reapOnExit } from './helpers.js';

/** A child's output as it comes, and its exit. */
export interface Watched {
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** The exit code, once it exits. */
  exit: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/** Collects what `child` prints, so that a failure can show it. */
export function watch(child: ChildProcess): Watched {
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    exit,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
        void exit.then((code) => {
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}:\n${out}`));
        });
      }),
  };
}

export interface SpawnedApp extends Omit<Watched, 'waitFor'> {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  base: string;
}

export interface SpawnOptions {
  cwd: string;
  /** The whole environment of the child. */
  env: NodeJS.ProcessEnv;
  /** How long to wait for the port. @default 30000 */
  timeoutMs?: number;
}

/** Starts `command args` and resolves once it printed `listening on <port>` (it listens on 127.0.0.1). */
export async function spawnApp(command: string, args: string[], options: SpawnOptions): Promise<SpawnedApp> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  const watched = watch(child);
  try {
    const [, port] = await watched.waitFor(/listening on (\d+)/, options.timeoutMs ?? 30_000);
    return { child, base: `http://127.0.0.1:${port}`, output: watched.output, exit: watched.exit };
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`\`${command} ${args.join(' ')}\`: ${(err as Error).message}`);
  }
}
