"""Property: LiveQuery's matcher and REST's SQL give ``where`` one meaning, on SQLite and PostgreSQL.

Random objects are written through the real write pipeline; the rows LiveQuery receives from it
(read back inside each write's transaction, ``records/live_feed.py``) are matched in memory with
the subscription's IR; the same ``where`` runs as a REST find in SQL. Both must select the same
objects — the operators have one implementation (``query``), the rows one source (storage).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from chartkeep.context import RequestContext
from chartkeep.core.feed import Change
from chartkeep.query.matcher import matches
from chartkeep.query.parse import parse_where
from chartkeep.records import reads, writes
from chartkeep.schema.dates import iso_ms
from chartkeep.schema_admin.schemas import create_schema
from tests.query.test_properties import objects, wheres

FIELDS = {
    "s": {"type": "String"},
    "x": {"type": "Number"},
    "b": {"type": "Boolean"},
    "t": {"type": "Date"},
    "p": {"type": "Pointer", "targetClass": "_User"},
    "arr": {"type": "Array"},
    "o": {"type": "Object"},
}


class Recorder:
    """A feed that keeps what the write pipeline publishes."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def tracks(self, class_name: str) -> bool:
        return True

    def publish(self, change: Change) -> None:
        self.changes.append(change)


def parse_json(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "objectId":
            continue
        if isinstance(value, datetime):
            value = {"__type": "Date", "iso": iso_ms(value)}
        elif key == "p":
            value = {"__type": "Pointer", "className": "_User", "objectId": value}
        out[key] = value
    return out


@pytest.fixture
async def prop(core: Any) -> tuple[Any, Recorder]:
    await create_schema(core, "Prop", {"className": "Prop", "fields": FIELDS})
    recorder = Recorder()
    core.live = recorder
    return core, recorder


@settings(
    max_examples=int(os.environ.get("LIVE_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(objs=objects(), where=wheres)
async def test_live_rows_and_matcher_agree_with_sql(
    prop: tuple[Any, Recorder], objs: list[dict[str, Any]], where: dict[str, Any]
) -> None:
    core, recorder = prop
    master = RequestContext(app_id=core.settings.app_id, is_master=True)
    async with core.db.transaction() as tx:
        await tx.execute('DELETE FROM "Prop"')
    recorder.changes.clear()
    for obj in objs:
        await writes.create(core, master, "Prop", parse_json(obj), assign_id=obj["objectId"])
    live_rows = {c.object_id: c.current for c in recorder.changes}
    assert sorted(live_rows) == sorted(o["objectId"] for o in objs)
    node = parse_where("Prop", where, core.registry)
    live = sorted(oid for oid, row in live_rows.items() if row is not None and matches(node, row))
    found = await reads.find(core, master, "Prop", {"where": where, "limit": 1000})
    assert live == sorted(o["objectId"] for o in found["results"])
