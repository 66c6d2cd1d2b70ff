#!/usr/bin/env bash
# Install what the tests need (Python test extras, the Parse JS SDK, the GraphiQL explorer's npm
# packages, Parse Dashboard and Parse Server for the migration tests, Chromium) and run every check: ruff, the import-layer contracts, mypy, and pytest (SQLite +
# PostgreSQL + the JS SDK suite + the explorer in a headless browser).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k users`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
if command -v npm >/dev/null; then
  (cd tests/sdk && npm ci --silent --no-audit --no-fund)
  # the explorer, Parse Dashboard (tests/dashboard) and Parse Server (tests/parse_server): pinned by their lockfiles
  for dir in explorer tests/dashboard tests/parse_server; do
    if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && npm ci --silent --no-audit --no-fund)
    fi
  done
else
  echo "npm is missing: the Parse JS SDK suite and the explorer's browser test are skipped (fail under CI=true)" >&2
fi
# The explorer's browser test drives Debian's Chromium (tests/browser.py); installed when missing.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Chromium (Debian's package) for the GraphiQL explorer's browser test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
      || echo "Could not install Chromium: its test is skipped (and fails under CI=true)" >&2
  else
    echo "Chromium is missing (apt-get install -y chromium as root): its test is skipped (fails under CI=true)" >&2
  fi
fi
.venv/bin/ruff check src tests
.venv/bin/lint-imports
.venv/bin/mypy
# -rs: every skipped test is listed with its reason (a missing PostgreSQL, Redis, Node or Chromium,
# the template seeds outside the usual layout), so a skip is never silent.
exec .venv/bin/python -m pytest -rs "$@"
