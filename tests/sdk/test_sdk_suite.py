"""Run the Parse-JS-SDK conformance suite (tests/sdk/*.test.mjs) against a real
`chartkeep serve` process, once per storage backend.

    pytest -m sdk tests/sdk/test_sdk_suite.py

Needs node + npm (the SDK is installed from tests/sdk/package-lock.json with
`npm ci` the first time) and, for the postgresql case, a PostgreSQL server
reachable as the `postgres` superuser (default 127.0.0.1:5432, trust auth; set
CHARTKEEP_SDK_PG_ADMIN_URL to override, e.g. postgresql://postgres@host:5432/postgres).
When something is missing the test is skipped with the reason -- unless CI=true,
where it fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.sdk

SDK_DIR = Path(__file__).resolve().parent
REPO_ROOT = SDK_DIR.parents[1]
APP_ID = "chartkeep-sdk-test"
MASTER_KEY = "chartkeep-sdk-test-master-key"
# One database per run, so two runs on one PostgreSQL (parallel worktrees, CI) never share it.
PG_DB_NAME = f"chartkeep_sdk_test_{os.getpid()}"
PG_ADMIN_URL = os.environ.get("CHARTKEEP_SDK_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HEALTH_TIMEOUT_S = 30.0
NODE_TIMEOUT_S = 900.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> None:
    """Skip locally; fail in CI (a missing prerequisite there is a broken setup)."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def _tail(text: str, limit: int = 20000) -> str:
    return text if len(text) <= limit else f"... [{len(text) - limit} chars cut] ...\n" + text[-limit:]


# --------------------------------------------------------------------------- node


@pytest.fixture(scope="session")
def node_suite() -> list[str]:
    """Checks node/npm, installs the pinned SDK once, returns the node --test argv."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        _unavailable(f"node and npm are required for the SDK suite (node={node!r}, npm={npm!r})")
    if not (SDK_DIR / "node_modules" / "parse" / "package.json").is_file():
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"npm ci failed (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}", pytrace=False
            )
    files = sorted(str(p) for p in SDK_DIR.glob("*.test.mjs"))
    assert files, f"no *.test.mjs files in {SDK_DIR}"
    # Explicit file list (not the directory) so every node version runs the same set.
    return [node, "--test", *files]


# --------------------------------------------------------------------------- postgres


def _pg_admin_parts() -> tuple[str, int, str, str]:
    u = urllib.parse.urlsplit(PG_ADMIN_URL)
    return (
        u.hostname or "127.0.0.1",
        u.port or 5432,
        u.username or "postgres",
        (u.path.lstrip("/") or "postgres"),
    )


def _pg_recreate_database(name: str) -> str:
    """Drops and creates `name`; returns its URL. Raises OSError-ish errors if unreachable."""
    host, port, user, admin_db = _pg_admin_parts()
    try:
        import asyncpg  # noqa: PLC0415  (chartkeep dependency)
    except ImportError:  # pragma: no cover - fall back to psql
        asyncpg = None

    if asyncpg is not None:
        import asyncio  # noqa: PLC0415

        async def run() -> None:
            conn = await asyncpg.connect(host=host, port=port, user=user, database=admin_db, timeout=5)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(run())
    else:
        psql = shutil.which("psql")
        if not psql:
            raise RuntimeError("neither asyncpg nor psql is available")
        base = [psql, "-h", host, "-p", str(port), "-U", user, "-d", admin_db, "-v", "ON_ERROR_STOP=1", "-q"]
        for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
            subprocess.run([*base, "-c", sql], check=True, capture_output=True, text=True, timeout=30)
    return f"postgresql://{user}@{host}:{port}/{name}"


def _pg_drop_database(name: str) -> None:
    host, port, user, admin_db = _pg_admin_parts()
    with contextlib.suppress(Exception):
        import asyncio  # noqa: PLC0415

        import asyncpg  # noqa: PLC0415

        async def run() -> None:
            conn = await asyncpg.connect(host=host, port=port, user=user, database=admin_db, timeout=5)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(run())


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, url: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"chartkeep serve exited with {proc.returncode} before becoming healthy.\n"
                f"--- server stderr ---\n{_tail(stderr_path.read_text(errors='replace'))}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback only)
                body = r.read()
                if r.status == 200 and json.loads(body) == {"status": "ok"}:
                    return
                last = f"HTTP {r.status} {body[:200]!r}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            last = repr(e)
        time.sleep(0.2)
    pytest.fail(
        f"chartkeep serve not healthy at {url} within {HEALTH_TIMEOUT_S:.0f}s (last: {last}).\n"
        f"--- server stderr ---\n{_tail(stderr_path.read_text(errors='replace'))}",
        pytrace=False,
    )


@contextlib.contextmanager
def _chartkeep_server(database_url: str, workdir: Path, webhook_port: int) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    stdout_path = workdir / "server.stdout.log"
    stderr_path = workdir / "server.stderr.log"
    env = dict(os.environ)
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    argv = [
        sys.executable, "-m", "chartkeep", "serve",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--app-id", APP_ID,
        "--master-key", MASTER_KEY,
        "--database-url", database_url,
        # The suite signs up and logs in hundreds of users from 127.0.0.1 within a minute.
        "--signup-rate-limit", "100000",
        "--login-rate-limit", "100000",
        # devices.test.mjs listens there for the pushes it sends
        "--push-webhook-url", f"http://127.0.0.1:{webhook_port}/push-hook",
        # cloud.test.mjs: Cloud Code in Python (it touches only classes of its own)
        "--cloud", str(SDK_DIR / "cloud_main.py"),
    ]  # fmt: skip
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}/parse"
            _wait_healthy(proc, base + "/health", stderr_path)
            yield base, stderr_path
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


# --------------------------------------------------------------------------- test


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parse_js_sdk_suite(backend: str, node_suite: list[str], tmp_path: Path) -> None:
    if backend == "sqlite":
        db_path = (tmp_path / "chartkeep-sdk.db").resolve()
        database_url = f"sqlite://{db_path}"  # -> sqlite:///abs/path.db
    else:
        try:
            database_url = _pg_recreate_database(PG_DB_NAME)
        except Exception as e:  # noqa: BLE001 - any failure here means "PostgreSQL not usable"
            _unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(e).__name__}: {e}")

    try:
        webhook_port = _free_port()
        with _chartkeep_server(database_url, tmp_path, webhook_port) as (server_url, stderr_path):
            env = {k: v for k, v in os.environ.items() if k != "PARSE_REFERENCE"}
            env.update(
                PARSE_SERVER_URL=server_url,
                PARSE_APP_ID=APP_ID,
                PARSE_MASTER_KEY=MASTER_KEY,
                # Chartkeep loads the seed templates itself: verify, never create.
                PARSE_EXPECT_SEEDED="1",
                PARSE_PUSH_WEBHOOK_PORT=str(webhook_port),
                # portal.test.mjs reads the invitation mail with `chartkeep outbox`
                CHARTKEEP_SDK_DATABASE_URL=database_url,
                CHARTKEEP_SDK_PYTHON=sys.executable,
            )
            try:
                proc = subprocess.run(
                    node_suite,
                    cwd=REPO_ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=NODE_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired as e:
                out = (
                    (e.stdout or b"").decode(errors="replace")
                    if isinstance(e.stdout, bytes)
                    else (e.stdout or "")
                )
                pytest.fail(f"node --test timed out after {NODE_TIMEOUT_S:.0f}s\n{_tail(out)}", pytrace=False)
            if proc.returncode != 0:
                failed = [ln for ln in proc.stdout.splitlines() if ln.lstrip().startswith("not ok")]
                pytest.fail(
                    f"Parse JS SDK suite failed against chartkeep ({backend}), node exit {proc.returncode}\n"
                    f"--- failing tests ---\n" + "\n".join(failed) + "\n"
                    f"--- node stdout ---\n{_tail(proc.stdout)}\n"
                    f"--- node stderr ---\n{_tail(proc.stderr, 5000)}\n"
                    f"--- server stderr ---\n{_tail(stderr_path.read_text(errors='replace'), 8000)}",
                    pytrace=False,
                )
            summary = [
                ln
                for ln in proc.stdout.splitlines()
                if ln.startswith(("# tests", "# pass", "# fail", "# skipped"))
            ]
            print(f"[sdk:{backend}] " + " | ".join(s.lstrip("# ") for s in summary))
    finally:
        if backend == "postgresql":
            _pg_drop_database(PG_DB_NAME)
