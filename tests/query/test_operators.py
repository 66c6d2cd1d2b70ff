"""Every operator family, on SQLite and PostgreSQL and in memory, against exact answers."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.query.matcher import matches
from chartkeep.query.parse import parse_where
from tests.query.conftest import SCHEMAS, Backend, internal_row
from tests.query.data import CASES, ITEMS

IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=IDS)
async def test_sql(backend: Backend, name: str, where: dict[str, Any], expected: list[str]) -> None:
    assert await backend.find(where) == expected


@pytest.mark.parametrize(("name", "where", "expected"), CASES, ids=IDS)
def test_matcher(name: str, where: dict[str, Any], expected: list[str]) -> None:
    node = parse_where("Item", where, SCHEMAS)
    rows = [internal_row(SCHEMAS.classes["Item"], o) for o in ITEMS]
    assert sorted(o["objectId"] for o in rows if matches(node, o)) == expected
