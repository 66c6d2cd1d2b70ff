#!/usr/bin/env bash
# Install Chartkeep into .venv, seed the demo clinic once (`chartkeep seed --if-empty`), and start
# the server — on SQLite in ./data unless told otherwise.
# Extra arguments go to both `chartkeep seed` and `chartkeep serve` (seed takes every server
# setting), so the demo lands in the database that is served, e.g.
#   bash scripts/serve.sh --port 8080
#   bash scripts/serve.sh --database-url postgresql://postgres@127.0.0.1:5432/chartkeep
# CHARTKEEP_* environment variables apply to both as well.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
# The GraphiQL explorer at /graphql is served from these npm packages (explorer/package-lock.json).
# Installed again when the lockfile is newer than the installed tree (a pull that moved a version).
if [ ! -f explorer/node_modules/.package-lock.json ] || [ explorer/package-lock.json -nt explorer/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null; then
    npm ci --prefix explorer --silent --no-audit --no-fund
  else
    echo "npm not found: the GraphQL API works, but its GraphiQL explorer page will say how to install its files" >&2
  fi
fi
.venv/bin/chartkeep seed --if-empty "$@"
exec .venv/bin/chartkeep serve "$@"
