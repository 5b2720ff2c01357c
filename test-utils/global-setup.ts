// Global setup for the whole workspace test run. Services the tests need
// (PostgreSQL, Chromium) are started here so that a missing one fails the run loudly.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
// For the ProvidedContext keys (pgUrl, pgError) declared there.
import type {} from './pg.js';

const run = promisify(execFile);
const pgScript = fileURLToPath(new URL('../scripts/pg.sh', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.APILENS_TEST_DATABASE_URL;
  if (given) {
    project.provide('pgUrl', given);
    project.provide('pgError', '');
    return async () => {};
  }
  // A throwaway cluster per run (own dir and port), so concurrent runs don't collide.
  // A failure is not thrown here: it would break runs that don't need PostgreSQL.
  // The PostgreSQL suites fail with this message instead (test-utils/pg.ts).
  let dir = '';
  try {
    const { stdout } = await run('sh', [pgScript, 'start'], { timeout: 300_000 });
    const lines = stdout.trim().split('\n');
    dir = lines.at(-2) ?? '';
    project.provide('pgUrl', lines.at(-1) ?? '');
    project.provide('pgError', '');
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    project.provide('pgUrl', '');
    project.provide('pgError', `scripts/pg.sh start failed: ${e.stderr || e.message}`);
  }
  return async () => {
    if (dir) await run('sh', [pgScript, 'stop', dir]).catch(() => {});
  };
}
