"""The ledger names every change a request makes (tests/ledger_check.py), and the check can fail.

Every test that uses the ``api`` fixture runs under ``LedgerCheck``: the whole clinical,
behavioral, messaging, account and access suites are the scenarios. These tests show that the
check sees what it must: a hook that writes around the write primitive, a secret copied into an
entry; and that the server's own writes (a note's status, a care team, a crisis log's history)
pass it because they go through the primitive.
"""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.core.hooks import WriteEvent
from chartkeep.records import commit
from chartkeep.storage import rows
from tests.conftest import Api
from tests.ledger_check import Observer, UnnamedChange, copied_secrets, snapshot
from tests.policy.world import build_world


async def _make_class(api: Api) -> None:
    r = await api.post("/schemas/Note2", {"className": "Note2", "fields": {"text": {"type": "String"},
                                                                            "seen": {"type": "Number"}}}, master=True)
    assert r.status_code == 200, r.text


async def test_a_write_around_the_primitive_fails_the_request(api: Api, core: Any) -> None:
    await _make_class(api)
    first = (await api.post("/classes/Note2", {"text": "a"}, master=True)).json()["objectId"]

    async def sneaky(core_: Any, event: WriteEvent) -> None:  # a rule that forgets the ledger
        if event.is_new:
            schema = core_.registry.get("Note2")
            await rows.update(event.conn, schema, first, {"seen": 1}, None)

    core.hooks.add("after_save", "Note2", sneaky)
    with pytest.raises(UnnamedChange, match=f"Note2 '{first}' changed, and no ledger entry of this request names it"):
        await api.post("/classes/Note2", {"text": "b"}, master=True)


async def test_the_same_change_through_the_primitive_passes(api: Api, core: Any) -> None:
    await _make_class(api)
    first = (await api.post("/classes/Note2", {"text": "a"}, master=True)).json()["objectId"]

    async def named(core_: Any, event: WriteEvent) -> None:
        if event.is_new:
            await commit.server_update(core_, event.conn, event.ctx, "Note2", first, {"seen": 1},
                                       why="a newer note was written")

    core.hooks.add("after_save", "Note2", named)
    r = await api.post("/classes/Note2", {"text": "b"}, master=True)
    assert r.status_code == 201, r.text
    seen = await api.get(f"/classes/Note2/{first}", master=True)
    assert seen.json()["seen"] == 1


async def test_a_copied_secret_is_caught(api: Api, core: Any) -> None:
    db = Observer(core.settings.resolved_database_url())
    before = await snapshot(db)
    await api.signup("ada", "s3cret-pass-1")
    after = await snapshot(db)
    await db.close()
    [(key, values)] = [(k, v) for k, v in after.rows.items() if k[0] == "_User" and k not in before.rows]
    digest = values[after.columns["_User"].index("_hashed_password")]
    assert copied_secrets(before, after, [{"details": f"hash {digest}"}]) == [
        f"_User._hashed_password of {key[1]!r} is copied into the ledger"]
    assert copied_secrets(before, after, [{"details": "password set"}]) == []


async def test_the_server_writes_of_a_day_in_the_clinic_are_named(api: Api, core: Any) -> None:
    """The policy world (charts, care teams, notes and signatures, assessments, crisis logs,
    messages, grants) is built through the API: every request of it passed the check."""
    checked = api.client._transport.app.checked  # type: ignore[attr-defined]
    await build_world(api)
    assert api.client._transport.app.checked > checked + 20  # type: ignore[attr-defined]
