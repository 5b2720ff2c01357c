// docs/self-hosting.md, checked: its systemd unit passes `systemd-analyze verify` without a
// warning, and the command line the unit starts really starts the collector.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, packageDir, repoRoot } from '../../test-utils/build.js';
import { watch } from '../../test-utils/spawn-app.js';

const run = promisify(execFile);
const DOC = readFileSync(join(repoRoot, 'docs/self-hosting.md'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'apilens-self-hosting-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The code block that follows the first line naming `file` in the doc. */
function block(file: string): string {
  const at = DOC.indexOf(file);
  expect(at, `docs/self-hosting.md names ${file}`).toBeGreaterThan(-1);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(DOC.slice(at));
  expect(m, `a code block after ${file}`).not.toBeNull();
  return m![1]!;
}

/** The unit of the doc, with the Node.js binary of this machine (the doc says to adjust it). */
function unit(): string {
  return block('/etc/systemd/system/apilens.service').replaceAll('/usr/bin/node', process.execPath);
}

describe('docs/self-hosting.md', () => {
  beforeAll(() => ensureBuilt(['server']), 240_000);

  it('the systemd unit passes systemd-analyze verify without a warning', async () => {
    const file = join(tmp, 'apilens.service');
    writeFileSync(file, unit());
    // systemd-analyze comes from Debian's systemd package (scripts/system-deps.sh).
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file], { timeout: 60_000 }).catch(
      (err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`systemd-analyze verify failed:\n${err.stderr || err.stdout || err.message}`);
      },
    );
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });

  it('the unit’s ExecStart starts the collector (paths moved to a temporary directory)', async () => {
    const exec = /^ExecStart=(.+)$/m.exec(unit())?.[1];
    expect(exec).toBeDefined();
    const [command, ...args] = exec!
      .replace(
        '/opt/apilens/node_modules/@apilens/server/dist/cli.cjs',
        join(packageDir('server'), 'dist/cli.cjs'),
      )
      .replaceAll('/var/lib/apilens', tmp)
      .replace(/--port \d+/, '--port 0')
      .split(/\s+/);
    const child = spawn(command!, args, { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    const watched = watch(child);
    try {
      const [, url] = await watched.waitFor(/apilens listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await watched.exit).toBe(0);
    }
  });
});
