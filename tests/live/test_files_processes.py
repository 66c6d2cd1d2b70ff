"""File links in LiveQuery events in the several-process layouts: ``serve --workers 2``, and
LiveQuery in its own process (a second ``chartkeep serve`` the WebSocket clients use while writes
go to the first). Each subscriber's event carries links signed for it, under the URL it connected
to, that download the bytes — whichever process signs and whichever serves. Real processes on a
private PostgreSQL schema and the machine's Redis (skipped locally without Redis, a failure under
``CI=true``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import websockets

from tests.conftest import private_pg_schema, require_service
from tests.files.clinic import PDF, PNG
from tests.live.conftest import LiveClient
from tests.processes import HttpApi, Served, healthy, http_api, need_redis, serve, unique_app_id

FILES_KEY = "shared-files-secret-for-every-process-0123456789"


@pytest.fixture
async def pg_schema_url() -> AsyncIterator[str]:
    async with private_pg_schema() as url:
        yield url


async def subscriber(host: str, app_id: str, token: str) -> LiveClient:
    c = LiveClient(await websockets.connect(f"ws://{host}/parse", ping_interval=None))
    assert (await c.ask({"op": "connect", "applicationId": app_id, "sessionToken": token}))["op"] == "connected"
    reply = await c.ask({"op": "subscribe", "requestId": 1, "query": {"className": "Doc", "where": {}}})
    assert reply["op"] == "subscribed", reply
    return c


async def people(api: HttpApi) -> tuple[dict[str, Any], dict[str, Any]]:
    r = await api.post("/schemas/Doc", {"className": "Doc", "fields": {
        "title": {"type": "String"}, "file": {"type": "File"}, "attachments": {"type": "Array"}}}, master=True)
    assert r.status_code == 200, r.text
    return await api.signup("alice"), await api.signup("bob")


async def write_doc(api: HttpApi, alice: dict[str, Any], bob: dict[str, Any]) -> tuple[str, str]:
    """alice uploads a PDF and a PNG and saves a Doc holding both, readable by bob too."""
    names = []
    for name, data, ctype in (("summary.pdf", PDF, "application/pdf"), ("wound.png", PNG, "image/png")):
        headers = {"X-Parse-Application-Id": api.app_id, "X-Parse-Session-Token": alice["sessionToken"],
                   "Content-Type": ctype}
        r = await api.client.post(f"/parse/files/{name}", content=data, headers=headers)
        assert r.status_code == 201, r.text
        names.append(r.json()["name"])
    acl = {alice["objectId"]: {"read": True, "write": True}, bob["objectId"]: {"read": True}}
    body = {"title": "t", "file": {"__type": "File", "name": names[0]},
            "attachments": [{"__type": "File", "name": names[1]}], "ACL": acl}
    r = await api.post("/classes/Doc", body, session=alice["sessionToken"])
    assert r.status_code == 201, r.text
    return names[0], names[1]


async def downloads(event: dict[str, Any], host: str, principal: str, names: tuple[str, str]) -> list[str]:
    """Checks the event's two links and downloads them; returns them."""
    assert event["op"] == "create", event
    obj = event["object"]
    files = [obj["file"], obj["attachments"][0]]
    assert [f["name"] for f in files] == list(names)
    urls = [f["url"] for f in files]
    async with httpx.AsyncClient(timeout=30) as http:
        for url, data in zip(urls, (PDF, PNG), strict=True):
            parts = urlsplit(url)
            assert parts.netloc == host and parse_qs(parts.query)["u"] == [principal]
            r = await http.get(url)
            assert (r.status_code, r.content) == (200, data), r.text
    return urls


def worker_of(served: Served, client: LiveClient) -> int:
    """The pid of the worker process holding the server side of ``client``'s connection."""
    local_port = client.ws.local_address[1]
    port = served.host.rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} and dport = :{local_port} )"],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"pid=(\d+)", out)
    assert found, out
    return int(found.group(1))


async def test_workers_sign_each_subscribers_links(pg_schema_url: str, tmp_path: Path) -> None:
    await need_redis()
    require_service(None if shutil.which("ss") else "ss (iproute2) is needed to tell which worker holds a connection")
    app_id = unique_app_id()
    with serve(tmp_path, "w", "--workers", "2", "--database-url", pg_schema_url, app_id=app_id) as served:
        await healthy(served)
        api = http_api(served, app_id)
        async with api.client:
            alice, bob = await people(api)
            who: list[dict[str, Any]] = []
            clients: list[LiveClient] = []
            workers: dict[str, set[int]] = {alice["objectId"]: set(), bob["objectId"]: set()}
            # the kernel spreads connections by a hash of their addresses: connect until each user
            # has a subscriber on each worker
            while len(clients) < 64 and any(len(w) < 2 for w in workers.values()):
                for user in (alice, bob):
                    c = await subscriber(served.host, app_id, user["sessionToken"])
                    who.append(user)
                    clients.append(c)
                    workers[user["objectId"]].add(worker_of(served, c))
            assert all(len(w) == 2 for w in workers.values()), workers
            names = await write_doc(api, alice, bob)
            links: dict[str, set[str]] = {alice["objectId"]: set(), bob["objectId"]: set()}
            for user, c in zip(who, clients, strict=True):
                urls = await downloads(await c.event(10), served.host, user["objectId"], names)
                links[user["objectId"]].add(urls[0])
            assert not links[alice["objectId"]] & links[bob["objectId"]]  # no subscriber holds another's grant
            for c in clients:
                await c.ws.close()


async def test_livequery_in_its_own_process_signs_links_the_rest_process_accepts(pg_schema_url: str,
                                                                                 tmp_path: Path) -> None:
    await need_redis()
    app_id = unique_app_id()
    shared = ("--database-url", pg_schema_url, "--files-key", FILES_KEY)
    with serve(tmp_path, "rest", *shared, app_id=app_id) as rest:
        await healthy(rest)
        with serve(tmp_path, "live", *shared, app_id=app_id) as live:
            await healthy(live)
            api = http_api(rest, app_id)
            async with api.client:
                alice, bob = await people(api)
                on_live = [await subscriber(live.host, app_id, u["sessionToken"]) for u in (alice, bob)]
                names = await write_doc(api, alice, bob)  # written through the REST process
                for user, c in zip((alice, bob), on_live, strict=True):
                    urls = await downloads(await c.event(10), live.host, user["objectId"], names)
                    # signed by the LiveQuery process, verified by the REST one (one files key)
                    async with httpx.AsyncClient(timeout=30) as http:
                        r = await http.get(urls[1].replace(live.host, rest.host, 1))
                        assert (r.status_code, r.content) == (200, PNG)
                        r = await http.get(urls[1], headers={"X-Parse-Session-Token": (
                            bob if user is alice else alice)["sessionToken"]})
                        assert (r.status_code, r.json()["code"]) == (403, 119)
                for c in on_live:
                    await c.ws.close()
