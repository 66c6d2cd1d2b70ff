"""Attachments: encrypted files uploaded through /files, listed in a message's ``attachments``,
downloadable by the two participants only, each download audited under the patient."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from chartkeep.auth import file_links
from chartkeep.context import RequestContext
from tests.audit.helpers import entries_after, head
from tests.behavioral.messaging.clinic import BH, open_clinic, refused, snapshot
from tests.conftest import APP_ID, Api

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


async def _upload(c: BH, who: str, name: str = "letter.pdf") -> dict[str, str]:
    r = await c.api.client.post(f"/parse/files/{name}", content=PDF, headers={
        "X-Parse-Application-Id": APP_ID, "X-Parse-Session-Token": c.tokens[who], "Content-Type": "application/pdf"})
    assert r.status_code == 201, r.text
    return {"__type": "File", **r.json()}


async def _fetch(api: Api, url: str, **headers: str) -> httpx.Response:
    parts = urlsplit(url)
    return await api.client.get(f"{parts.path}?{parts.query}", headers=headers)


def _link_for(core: Any, user_id: str, name: str) -> str:
    ctx = RequestContext(APP_ID, user={"objectId": user_id}, base_url="http://testserver/parse")
    return file_links.signed_url(core.settings, ctx, name)


async def test_the_recipient_downloads_an_attachment_and_it_is_audited(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    up = await _upload(c, "p1")
    oid = await c.sent("p1", "provider", body="my letter", attachments=[up])
    async with core.db.read() as conn:
        stored = await conn.fetchval('SELECT "attachments" FROM "Message"')
    assert "url" not in str(stored) and up["name"] in str(stored)  # links expire: only the name is kept
    shown = await c.get("Message", oid, "provider")
    (att,) = shown["attachments"]
    assert att["name"] == up["name"] and f"u={c.ids['provider']}" in att["url"]  # a link for this reader
    seq = await head(core)
    r = await _fetch(api, att["url"])
    assert (r.status_code, r.content) == (200, PDF)
    assert await entries_after(core, seq) == [("file_download", c.ids["provider"], c.profiles["p1"], "Message", oid,
                                               "success")]
    # the sender too
    mine = (await c.get("Message", oid, "p1"))["attachments"][0]["url"]
    assert (await _fetch(api, mine)).content == PDF


async def test_nobody_else_downloads_it(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    up = await _upload(c, "p1")
    await c.sent("p1", "provider", attachments=[up])
    for who in ("p2", "nurse", "doc2"):  # even with a validly signed link of their own
        r = await _fetch(api, _link_for(core, c.ids[who], up["name"]))
        assert r.status_code == 403 and "cannot read any object holding this file" in r.json()["error"], who
    url = (await c.get("Message", (await api.get("/classes/Message", master=True)).json()["results"][0]["objectId"],
                       "provider"))["attachments"][0]["url"]
    r = await _fetch(api, url, **{"X-Parse-Application-Id": APP_ID, "X-Parse-Session-Token": c.tokens["p2"]})
    assert r.status_code == 403 and "issued to another user" in r.json()["error"]


async def test_only_ones_own_uploads_are_attached(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    theirs = await _upload(c, "p1")
    mine = await _upload(c, "provider")
    before = await snapshot(core)
    refused(await c.send("provider", "p1", conversation="c2", attachments=[mine, theirs]), 119,
            f"{theirs['name']} is not a file you uploaded")
    refused(await c.send("provider", "p1", conversation="c2", attachments=[{"__type": "File", "name": "nope.pdf"}]),
            119)
    refused(await c.send("provider", "p1", conversation="c2", attachments=["letter.pdf"]), 111,
            "attachments must be an array of files")
    refused(await c.send("provider", "p1", conversation="c2", attachments={"a": 1}), 111)
    assert await snapshot(core) == before
    await c.sent("provider", "p1", conversation="c2", attachments=[mine])
