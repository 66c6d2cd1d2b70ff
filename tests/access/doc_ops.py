"""Doing one operation on the test class ``Doc`` as someone, and a snapshot to prove a refusal
changed nothing (shared by the CLP and pointer-permission tests)."""

from __future__ import annotations

from typing import Any

import httpx

from chartkeep.core.handles import Core
from tests.access.conftest import User, World
from tests.conftest import row_count

Who = User | None | str  # a user, anonymous (None) or "master"


def auth(who: Who) -> dict[str, Any]:
    if who == "master":
        return {"master": True}
    return {"session": who.token} if isinstance(who, User) else {}


async def perform(w: World, op: str, who: Who, object_id: str, n: int = 0) -> httpx.Response:
    """Attempt ``op`` on ``Doc`` (``object_id`` for get/update/delete/addField)."""
    kw = auth(who)
    api = w.api
    if op == "get":
        return await api.get(f"/classes/Doc/{object_id}", **kw)
    if op == "find":
        return await api.get("/classes/Doc", **kw)
    if op == "count":
        return await api.get("/classes/Doc", params={"count": "1", "limit": "0"}, **kw)
    if op == "create":
        return await api.post("/classes/Doc", {"title": "new"}, **kw)
    if op == "update":
        return await api.put(f"/classes/Doc/{object_id}", {"title": "changed"}, **kw)
    if op == "delete":
        return await api.delete(f"/classes/Doc/{object_id}", **kw)
    assert op == "addField"
    return await api.put(f"/classes/Doc/{object_id}", {f"extra{n}": 1}, **kw)


SUCCESS = {"create": 201}


async def snapshot(w: World, core: Core, object_id: str) -> tuple[int, dict[str, Any] | None, list[str]]:
    r = await w.api.get(f"/classes/Doc/{object_id}", master=True)
    schema = await w.api.get("/schemas/Doc", master=True)
    obj = r.json() if r.status_code == 200 else None
    return await row_count(core, "Doc"), obj, sorted(schema.json()["fields"])
