#!/usr/bin/env bash
# Install Chartkeep into .venv, seed the demo clinic once (`chartkeep seed --if-empty`), and start
# the server on SQLite (data in ./data).
# Extra arguments go to `chartkeep serve`, e.g. `bash scripts/serve.sh --port 8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/chartkeep seed --if-empty
exec .venv/bin/chartkeep serve "$@"
