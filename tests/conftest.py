"""Shared fixtures: a fresh Chartkeep app per test, on SQLite and on PostgreSQL.

PostgreSQL tests get a private schema (``search_path``) in the machine's ``test`` database, so
tests never see each other's rows. When PostgreSQL is unreachable the PostgreSQL cases fail under
CI (``CI=true``) and are skipped with the reason locally.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from chartkeep.app import build_core, create_app
from chartkeep.schema_admin.bootstrap import initialize
from chartkeep.settings import Settings
from tests.ledger_check import LedgerCheck

os.environ.setdefault("CHARTKEEP_STRICT_POOL", "1")  # a nested pool acquire fails the test (storage/database.py)
PG_URL = os.environ.get("CHARTKEEP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
APP_ID = "test-app"
MASTER_KEY = "test-master"


async def pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(PG_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc}"
    await conn.close()
    return None


def require_service(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    async with private_pg_schema() as url:
        yield url


@asynccontextmanager
async def private_pg_schema() -> AsyncIterator[str]:
    """A fresh schema in the test database, dropped afterwards: its URL (``search_path``)."""
    require_service(await pg_available())
    schema = "t_" + secrets.token_hex(6)
    admin = await asyncpg.connect(PG_URL)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?search_path={schema}"
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


class Api:
    """A Parse REST client over the in-process ASGI app, with the SDK's headers."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def headers(self, session: str | None = None, master: bool = False, **extra: str) -> dict[str, str]:
        h = {"X-Parse-Application-Id": APP_ID, "Content-Type": "application/json"}
        if session:
            h["X-Parse-Session-Token"] = session
        if master:
            h["X-Parse-Master-Key"] = MASTER_KEY
        h.update(extra)
        return h

    async def request(
        self, method: str, path: str, json: Any = None, *, session: str | None = None, master: bool = False,
        params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = self.headers(session, master)
        h.update(headers or {})
        return await self.client.request(method, "/parse" + path, json=json, params=params, headers=h)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, json, **kw)

    async def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("PUT", path, json, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)

    async def signup(self, username: str, password: str = "pw-123456", **fields: Any) -> dict[str, Any]:
        body = {"username": username, "password": password, "role": "patient", **fields}
        r = await self.post("/users", body)
        assert r.status_code == 201, r.text
        return r.json()


@asynccontextmanager
async def running_core(settings: Settings) -> AsyncIterator[Any]:
    """A core for ``settings``, connected and initialized (tables, templates, roles); its database
    is closed afterwards."""
    core = build_core(settings)
    await core.db.connect()
    await initialize(core)
    try:
        yield core
    finally:
        await core.db.close()


@asynccontextmanager
async def checked_api(core: Any) -> AsyncIterator[Api]:
    """An ``Api`` over ``core``'s app in process, every request checked against the ledger
    (tests/ledger_check.py)."""
    app = LedgerCheck(create_app(core.settings, core), core.settings.resolved_database_url())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client)
    finally:
        await app.db.close()


@pytest.fixture
async def core(database_url: str, tmp_path: Any) -> AsyncIterator[Any]:
    settings = Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path)
    async with running_core(settings) as core:
        yield core


@pytest.fixture
async def api(core: Any) -> AsyncIterator[Api]:
    """Every request through this client is checked: the rows it changes must be named by the ledger
    entries it appended (tests/ledger_check.py). A folder's own ``core`` fixture (tests/cloud/) gets
    this client too."""
    async with checked_api(core) as api:
        yield api


async def row_count(core: Any, class_name: str) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval(f'SELECT COUNT(*) FROM "{class_name}"'))
