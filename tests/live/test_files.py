"""File values in LiveQuery events: every File — a File field, or a File element of an Array, in
``object`` and ``original`` — carries a ``url`` signed for the subscriber it is sent to, which
downloads the bytes exactly as a REST link does, is not another subscriber's grant, and is no use
to a subscriber who can no longer read the file. (One process here, SQLite and PostgreSQL; the
several-process layouts in ``test_files_processes.py``.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.access.conftest import OPEN_CLP
from tests.conftest import APP_ID
from tests.files.clinic import PDF, PNG
from tests.live.conftest import LiveServer, People
from tests.live.test_events import create, update

REFUSED = {"code": 119, "error": "Permission denied: you cannot read any object holding this file."}


async def file_fields(server: LiveServer) -> None:
    r = await server.api.put("/schemas/Doc", {"fields": {"file": {"type": "File"}, "attachments": {"type": "Array"}}},
                             master=True)
    assert r.status_code == 200, r.text


async def upload(server: LiveServer, token: str, name: str, data: bytes, content_type: str) -> str:
    headers = {"X-Parse-Application-Id": APP_ID, "X-Parse-Session-Token": token, "Content-Type": content_type}
    r = await server.api.client.post(f"/parse/files/{name}", content=data, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["name"])


async def fetch(server: LiveServer, url: str, **headers: str) -> Any:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}/parse" == server.http_url  # the URL the subscriber connected to
    return await server.api.client.get(f"{parts.path}?{parts.query}", headers=headers)


def signed_for(url: str) -> str:
    return parse_qs(urlsplit(url).query)["u"][0]


def files_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [obj["file"], *[v for v in obj["attachments"] if isinstance(v, dict) and v.get("__type") == "File"]]


async def test_every_file_in_an_event_is_signed_for_its_subscriber(server: LiveServer, people: People) -> None:
    await file_fields(server)
    alice, bob, carol = [await server.user_client(u.token) for u in (people.alice, people.bob, people.carol)]
    master = await server.user_client(master=True)
    for c in (alice, bob, carol, master):
        await c.subscribe(1, "Doc")
    pdf = await upload(server, people.alice.token, "summary.pdf", PDF, "application/pdf")
    png = await upload(server, people.alice.token, "wound.png", PNG, "image/png")
    shared = {people.alice.id: {"read": True, "write": True}, people.bob.id: {"read": True}}
    doc = await create(server, {"title": "t", "file": {"__type": "File", "name": pdf},
                                "attachments": [{"__type": "File", "name": png}, {"kind": "lab"}], "ACL": shared},
                       session=people.alice.token)

    urls: dict[str, list[str]] = {}
    for who, c in (("alice", alice), ("bob", bob), ("master", master)):
        event = await c.event()
        assert event["op"] == "create"
        obj = event["object"]
        assert obj["attachments"][1] == {"kind": "lab"}
        assert [(f["__type"], f["name"]) for f in files_of(obj)] == [("File", pdf), ("File", png)]
        urls[who] = [f["url"] for f in files_of(obj)]
        principal = {"alice": people.alice.id, "bob": people.bob.id, "master": "_master"}[who]
        assert {signed_for(u) for u in urls[who]} == {principal}
        for url, data, ctype in zip(urls[who], (PDF, PNG), ("application/pdf", "image/png"), strict=True):
            got = await fetch(server, url)
            assert (got.status_code, got.content, got.headers["content-type"]) == (200, data, ctype)
    await carol.nothing()  # no read access: no event, no link

    # one subscriber's link is not another's grant
    assert urls["alice"][0] != urls["bob"][0]
    r = await fetch(server, urls["alice"][0], **{"X-Parse-Session-Token": people.bob.token})
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Permission denied: this file link was issued to another user."})
    parts = urlsplit(urls["bob"][0])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"u": people.carol.id}
    r = await fetch(server, f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}")
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Permission denied: this file link is invalid."})

    # an update carries links in both sides
    await update(server, doc, {"title": "u"}, session=people.alice.token)
    for c, principal in ((alice, people.alice.id), (bob, people.bob.id)):
        event = await c.event()
        assert event["op"] == "update"
        for side in ("object", "original"):
            assert [signed_for(f["url"]) for f in files_of(event[side])] == [principal, principal]
        assert (await fetch(server, files_of(event["original"])[1]["url"])).content == PNG

    # bob loses read access: his leave event shows the last state he could read, and its links
    # (signed for him) no longer download anything
    await update(server, doc, {"ACL": {people.alice.id: {"read": True, "write": True}}}, session=people.alice.token)
    left = await bob.event()
    assert left["op"] == "leave"
    for f in files_of(left["object"]):
        assert signed_for(f["url"]) == people.bob.id
        r = await fetch(server, f["url"])
        assert (r.status_code, r.json()) == (403, REFUSED)
    assert (await alice.event())["op"] == "update"
    assert (await fetch(server, urls["alice"][1])).content == PNG


async def test_a_subscriber_reading_as_nobody_gets_public_links(server: LiveServer, people: People) -> None:
    """A logged-out subscription reads as nobody: its links are ``_public`` ones, good only for
    files held by an object anyone may read."""
    await file_fields(server)
    anonymous = await server.user_client()
    alice = await server.user_client(people.alice.token)
    for c in (anonymous, alice):
        await c.subscribe(1, "Doc")
    png = await upload(server, people.alice.token, "poster.png", PNG, "image/png")
    doc = await create(server, {"title": "public", "attachments": [{"__type": "File", "name": png}]},
                       session=people.alice.token)
    event = await anonymous.event()
    url = event["object"]["attachments"][0]["url"]
    assert signed_for(url) == "_public"
    assert (await fetch(server, url)).content == PNG
    assert signed_for((await alice.event())["object"]["attachments"][0]["url"]) == people.alice.id
    # the object becomes private: the anonymous subscriber's link stops working at once
    await update(server, doc, {"ACL": {people.alice.id: {"read": True, "write": True}}}, session=people.alice.token)
    left = await anonymous.event()
    assert left["op"] == "leave"
    r = await fetch(server, left["object"]["attachments"][0]["url"])
    assert (r.status_code, r.json()) == (403, REFUSED)


async def test_subscribers_of_one_shape_share_a_body_without_files(server: LiveServer, people: People) -> None:
    """Signing per subscriber costs only where there are files: a change without them is encoded
    once for everyone (same bytes), one with them differs per principal."""
    await file_fields(server)
    alice, bob = await server.user_client(people.alice.token), await server.user_client(people.bob.token)
    for c in (alice, bob):
        await c.subscribe(1, "Doc")
    await create(server, {"title": "plain"})
    a, b = await alice.event(), await bob.event()
    assert a["object"] == b["object"]
    png = await upload(server, people.bob.token, "x.png", PNG, "image/png")
    await create(server, {"title": "with file", "file": {"__type": "File", "name": png}}, session=people.bob.token)
    a, b = await alice.event(), await bob.event()
    assert (signed_for(a["object"]["file"]["url"]), signed_for(b["object"]["file"]["url"])) == (
        people.alice.id, people.bob.id)
    for event in (a, b):
        assert (await fetch(server, event["object"]["file"]["url"])).content == PNG


async def test_a_resumed_subscription_gets_links_signed_for_it_at_replay(server: LiveServer, people: People) -> None:
    """Events replayed on resume are signed for the resuming subscriber, valid from the replay."""
    await file_fields(server)
    first = await server.user_client(people.bob.token)
    await first.subscribe(1, "Doc")
    await create(server, {"title": "seen"})
    mark = (await first.event())["eventId"]
    await first.ws.close()
    png = await upload(server, people.alice.token, "missed.png", PNG, "image/png")
    await create(server, {"title": "missed", "attachments": [{"__type": "File", "name": png}],
                          "ACL": {people.alice.id: {"read": True}, people.bob.id: {"read": True}}},
                 session=people.alice.token)
    again = await server.user_client(people.bob.token)
    assert (await again.subscribe(1, "Doc", lastEventId=mark))["resumed"] is True
    replayed = await again.event()
    url = replayed["object"]["attachments"][0]["url"]
    assert (replayed["op"], signed_for(url)) == ("create", people.bob.id)
    assert (await fetch(server, url)).content == PNG


async def test_a_file_field_protected_from_a_subscriber_is_not_sent_to_it(server: LiveServer, people: People) -> None:
    await file_fields(server)
    r = await server.api.put("/schemas/Doc", {"classLevelPermissions": {**OPEN_CLP, "protectedFields": {"*": ["file"]}}},
                             master=True)
    assert r.status_code == 200, r.text
    bob, master = await server.user_client(people.bob.token), await server.user_client(master=True)
    for c in (bob, master):
        await c.subscribe(1, "Doc")
    pdf = await upload(server, people.alice.token, "private.pdf", PDF, "application/pdf")
    await create(server, {"title": "t", "file": {"__type": "File", "name": pdf}}, session=people.alice.token)
    assert "file" not in (await bob.event())["object"]
    shown = (await master.event())["object"]["file"]
    assert signed_for(shown["url"]) == "_master" and (await fetch(server, shown["url"])).content == PDF
