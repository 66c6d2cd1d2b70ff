#!/usr/bin/env bash
# Chartkeep vs Parse Server, side by side on this machine's PostgreSQL (plus Chartkeep on SQLite).
#   bash bench/run.sh            full run (~30 min on 2 cores, includes the 1M-note scale run)
#   bash bench/run.sh --quick    short runs, small data set (development, ~5 min)
#   bash bench/run.sh --only-scale --scale-sizes 1000,200000   the scale run alone (chart, $everything)
# Other flags go to the Python driver: `bash bench/run.sh --help`.
# Installs the `bench` extra into .venv and Parse Server (npm) into $BENCH_SCRATCH (outside git).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SCRATCH=${BENCH_SCRATCH:-/tmp/chartkeep-bench}
export BENCH_SCRATCH=$SCRATCH

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[bench]"

ONLY_SCALE=0
for arg in "$@"; do [ "$arg" = "--only-scale" ] && ONLY_SCALE=1; done

mkdir -p "$SCRATCH/parse"
if [ "$ONLY_SCALE" = 0 ]; then  # the scale run is Chartkeep alone: no Parse Server needed
  cp bench/parse/server.js "$SCRATCH/parse/server.js"
  if ! cmp -s bench/parse/package.json "$SCRATCH/parse/.installed-package.json" \
     || [ ! -d "$SCRATCH/parse/node_modules/parse-server" ]; then
    cp bench/parse/package.json "$SCRATCH/parse/package.json"
    echo "installing Parse Server from npm into $SCRATCH/parse ..."
    (cd "$SCRATCH/parse" && npm install --no-audit --no-fund --loglevel=error)
    cp bench/parse/package.json "$SCRATCH/parse/.installed-package.json"
  fi
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "PostgreSQL at 127.0.0.1:5432 is not reachable (trust auth, user postgres); start it first" >&2
  exit 1
fi

PYTHONPATH=bench exec .venv/bin/python -m ckbench --scratch "$SCRATCH" "$@"
