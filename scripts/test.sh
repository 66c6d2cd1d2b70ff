#!/usr/bin/env bash
# Install what the tests need (Python test extras, the Parse JS SDK) and run every check:
# ruff, the import-layer contract, and pytest (SQLite + PostgreSQL + the JS SDK suite).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k users`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
if [ -f tests/sdk/package-lock.json ]; then
  (cd tests/sdk && npm ci --silent --no-audit --no-fund)
fi
.venv/bin/ruff check src tests
.venv/bin/lint-imports
# -rs: every skipped test is listed with its reason (a missing PostgreSQL, Redis, Node or Chromium,
# the template seeds outside the usual layout), so a skip is never silent.
exec .venv/bin/python -m pytest -rs "$@"
