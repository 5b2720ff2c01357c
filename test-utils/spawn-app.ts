// Runs an app in a child process (another runtime, an installed project) and waits until it
// prints `listening on <port>`; keeps what it prints for the failure message.
import { type ChildProcess, spawn } from 'node:child_process';

export interface SpawnedApp {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** The exit code, once it exits. */
  exit: Promise<number | null>;
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
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`\`${command} ${args.join(' ')}\` exited (${code}) before listening:\n${out}`));
      });
    });
    return { child, base: `http://127.0.0.1:${port}`, output: () => out, exit };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
