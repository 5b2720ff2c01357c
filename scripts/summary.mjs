// Prints the one closing line CI reads, from vitest's JSON report:
//   "N passed, N failed", then ", N skipped" when any test was skipped, pending or todo.
// Counted from each file's status and each test's status rather than vitest's totals, so that
// a file that fails to load counts as a failure instead of vanishing, tests skipped because a
// beforeAll threw are visible (and fail the run), and a describe whose hook failed is not
// counted twice. Exits 0 only when something passed and nothing failed or was skipped.
// Tested by scripts/test/summary.test.ts against real vitest reports.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
if (!existsSync(file)) {
  console.error(`no vitest report at ${file}: the test run did not start`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const result of report.testResults ?? []) {
  let fileFailed = 0;
  for (const t of result.assertionResults ?? []) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') fileFailed++;
    else skipped++; // skipped, pending, todo
  }
  // Failed without a failing test: the file did not load, or a hook outside any test threw.
  if (result.status === 'failed' && fileFailed === 0) fileFailed = 1;
  failed += fileFailed;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || skipped > 0 || passed === 0 ? 1 : 0);
