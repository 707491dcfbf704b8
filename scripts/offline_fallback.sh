#!/bin/sh
# Offline fallback: keep delivering when staging is down. No Prefect server needed.
# Runs `invoke offline.run` (env file, refine + archive, qa all, deploy export) into dist/offline/
# and leaves cli.log, cli.sh, summary.json and SHA256SUMS there. Extra arguments go to the task,
# e.g. scripts/offline_fallback.sh --profile generic --input-dir my-inputs
set -eu
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/invoke" ]; then
    make sync
fi
exec "$VENV/bin/invoke" offline.run "$@"
