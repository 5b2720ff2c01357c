#!/bin/sh
# The demo: scripts/demo.mjs installs and builds quietly (logs on failure or with --verbose),
# starts a collector and an instrumented example API, sends a week of traffic and prints the
# dashboard URL. It needs only Node.js >= 20 and npm.
set -e
cd "$(dirname "$0")/.."
exec node scripts/demo.mjs "$@"
