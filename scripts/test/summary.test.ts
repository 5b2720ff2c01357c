import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The CI line, checked against real vitest JSON reports of fixture suites (each shape of failure).
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const vitest = join(root, 'node_modules/.bin/vitest');
const summary = join(root, 'scripts/summary.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'apilens-summary-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function report(pattern: string, env: Record<string, string> = {}): Promise<string> {
  const out = join(tmp, `${pattern.replace(/\W/g, '_')}.json`);
  await run(vitest, ['run', '--root', fixtures, '--reporter=json', `--outputFile.json=${out}`], {
    env: { ...process.env, FIXTURE: pattern, CI: '', ...env },
  }).catch(() => {}); // failing fixtures exit 1: that is their point
  return out;
}

async function summarise(file: string): Promise<{ line: string; code: number }> {
  try {
    const { stdout } = await run(process.execPath, [summary, file]);
    return { line: stdout.trim(), code: 0 };
  } catch (err) {
    const e = err as { stdout: string; code: number };
    return { line: e.stdout.trim(), code: e.code };
  }
}

describe('scripts/summary.mjs', () => {
  it('counts a failed beforeAll, skips, todos and a file that does not load', async () => {
    const r = await summarise(await report('{mixed,broken-import}.fixture.ts'));
    // By hand: 1 passing test; failures: `fails` + the file that cannot load;
    // skipped: the two tests behind the failed beforeAll, `is skipped`, `is todo`.
    expect(r).toEqual({ line: '1 passed, 2 failed, 4 skipped', code: 1 });
  });

  it('says "N passed, 0 failed" and exits 0 when everything passed', async () => {
    expect(await summarise(await report('green.fixture.ts'))).toEqual({
      line: '2 passed, 0 failed',
      code: 0,
    });
  });

  it('fails a run with a stray it.only when CI is set', async () => {
    const r = await summarise(await report('{green,focused}.fixture.ts', { CI: 'true' }));
    expect(r.code).toBe(1);
    expect(r.line).toMatch(/^\d+ passed, [1-9]\d* failed/);
  });

  it('fails when there is no report at all', async () => {
    expect(await summarise(join(tmp, 'missing.json'))).toEqual({ line: '0 passed, 1 failed', code: 1 });
  });
});
