"""A server with tests/cloud/clinic_cloud.py loaded, on SQLite and PostgreSQL; a 1 s hook time limit.
The ``api`` fixture (tests/conftest.py) serves this ``core``, each request checked against the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.helpers import cloud_core

CLOUD_FILE = Path(__file__).with_name("clinic_cloud.py")


@pytest.fixture
async def core(database_url: str, tmp_path: Any) -> AsyncIterator[Any]:
    async with cloud_core(CLOUD_FILE, database_url=database_url, data_dir=tmp_path, cloud_timeout=1.0) as core:
        yield core
