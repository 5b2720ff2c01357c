#!/bin/sh
# The one command that runs every test: sets up the workspace and the system
# services the tests need, then runs vitest over all packages. The JSON report
# (.vitest-report.json) feeds the "N passed, N failed" line of .ci/run.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/system-deps.sh
exec pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.vitest-report.json "$@"
