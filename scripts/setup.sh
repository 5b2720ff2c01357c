#!/bin/sh
# Installs what the workspace needs on a machine that has only Node.js and npm:
# pnpm (if missing), the locked dependencies, and the built packages.
set -e
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  echo "apilens: installing pnpm 10 with npm" >&2
  npm install -g pnpm@10 >/dev/null
fi
pnpm install --frozen-lockfile
pnpm build
pnpm --dir packages/nestjs/test/nest11 install --frozen-lockfile --ignore-workspace # Nest 11 fixture (packages/nestjs/test/nest11.test.ts)
