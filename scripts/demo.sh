#!/bin/sh
# The demo: installs and builds the workspace, then runs scripts/demo.mjs.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
exec node scripts/demo.mjs "$@"
