"""A server with tests/cloud/clinic_cloud.py loaded, on SQLite and PostgreSQL; a 1 s hook time limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chartkeep.app import build_core, create_app
from chartkeep.schema_admin.bootstrap import initialize
from chartkeep.settings import Settings
from tests.conftest import APP_ID, MASTER_KEY, Api
from tests.ledger_check import LedgerCheck

CLOUD_FILE = Path(__file__).with_name("clinic_cloud.py")


@pytest.fixture
async def core(database_url: str, tmp_path: Any) -> AsyncIterator[Any]:
    settings = Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path,
                        cloud=str(CLOUD_FILE), cloud_timeout=1.0)
    core = build_core(settings)
    await core.db.connect()
    await initialize(core)
    try:
        yield core
    finally:
        await core.background.close(5)
        await core.db.close()


@pytest.fixture
async def api(core: Any) -> AsyncIterator[Api]:
    """Every request is checked against the ledger (tests/ledger_check.py), as the api fixture does."""
    app = LedgerCheck(create_app(core.settings, core), core.settings.resolved_database_url())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client)
    finally:
        await app.db.close()
