"""Shared steps for the clinical-workflow tests: Cloud function calls and "nothing changed" snapshots."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Api
from tests.policy.world import World

WORKFLOW = ("MedicalNote", "NoteVersion", "Signature")
SOAP = {"subjective": "Headache for 3 days", "objective": "BP 128/82", "assessment": "Tension headache",
        "plan": "Hydration, review in 2 weeks"}


async def call(api: Api, name: str, params: dict[str, Any], token: str | None = None,
               master: bool = False) -> httpx.Response:
    return await api.post(f"/functions/{name}", params, session=token, master=master)


async def ok(api: Api, name: str, params: dict[str, Any], token: str) -> Any:
    r = await call(api, name, params, token)
    assert r.status_code == 200, (name, r.text)
    return r.json()["result"]


async def draft(w: World, who: str, **extra: Any) -> dict[str, Any]:
    """A new note by ``who`` with its first version (saveNoteDraft)."""
    params = {"patient": w.ref("Patient"), "encounter": w.ref("Encounter"), "title": "Progress note",
              "noteType": "progress", **SOAP, **extra}
    return await ok(w.api, "saveNoteDraft", params, w.token(who))


async def snapshot(core: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the workflow classes, to assert that a refused request changed nothing."""
    out = {}
    async with core.db.read() as conn:
        for name in WORKFLOW:
            out[name] = [tuple(r) for r in await conn.fetch(f'SELECT * FROM "{name}" ORDER BY "objectId"')]
    return out


def refused(r: httpx.Response, code: int, message: str | None = None) -> None:
    assert r.status_code in (400, 403, 404), r.text
    body = r.json()
    assert body["code"] == code, body
    if message is not None:
        assert message in body["error"], body


async def get(w: World, class_name: str, oid: str) -> dict[str, Any]:
    r = await w.api.get(f"/classes/{class_name}/{oid}", master=True)
    assert r.status_code == 200, r.text
    return r.json()
