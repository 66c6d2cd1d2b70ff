"""before_save_file / after_save_file: after the file checks, which run again on what the hook leaves."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cloud.seen import EVENTS
from tests.conftest import Api, row_count
from tests.policy.world import staff


async def _upload(api: Api, token: str, name: str, data: bytes, ctype: str) -> httpx.Response:
    return await api.client.post(f"/parse/files/{name}", content=data,
                                 headers={**api.headers(token), "Content-Type": ctype})


async def test_a_file_hook_changes_what_is_stored_and_sees_it_stored(api: Api) -> None:
    token = (await staff(api, "nurse5", "nurse"))["sessionToken"]
    r = await _upload(api, token, "note.txt", b"bp 120/80", "text/plain")
    assert r.status_code == 201, r.text
    stored = r.json()["name"]
    assert stored.endswith("_clean-note.txt")
    assert f"file {stored}" in EVENTS
    held = await api.post("/classes/CloudThing", {"doc": {"__type": "File", "name": stored}}, master=True)
    assert held.status_code == 201, held.text
    thing = (await api.get(f"/classes/CloudThing/{held.json()['objectId']}", master=True)).json()
    got = await api.client.get(thing["doc"]["url"])
    assert (got.status_code, got.content) == (200, b"BP 120/80")


async def test_a_file_hook_may_refuse_and_cannot_store_what_a_client_could_not(api: Api, core: Any) -> None:
    token = (await staff(api, "nurse6", "nurse"))["sessionToken"]
    files = await row_count(core, "_File")
    r = await _upload(api, token, "refuse.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")
    assert (r.status_code, r.json()) == (400, {"code": 130, "error": "Uploads named refuse are not accepted"})
    r = await _upload(api, token, "evil.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")
    direct = await _upload(api, token, "page.html", b"<html></html>", "text/html")
    assert r.status_code == direct.status_code == 400 and r.json() == direct.json(), (r.text, direct.text)
    assert await row_count(core, "_File") == files
