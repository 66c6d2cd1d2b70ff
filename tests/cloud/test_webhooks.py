"""Parse's /hooks API: webhook functions and triggers POSTed to a receiver this test runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.cloud.helpers import entries, head
from tests.conftest import Api, row_count
from tests.processes import uvicorn_server

RECEIVED: list[dict[str, Any]] = []


async def _receive(request: Request) -> JSONResponse:
    body = await request.json()
    RECEIVED.append({"path": request.url.path, "key": request.headers.get("x-parse-webhook-key"), **body})
    path = request.url.path
    if path == "/greet":
        return JSONResponse({"success": {"greeting": f"hi {body['params']['name']}", "user": body["user"]}})
    if path == "/fail":
        return JSONResponse({"error": "the lab system is down"})
    if path == "/before-save":
        obj = body["object"]
        if obj.get("label") == "stop":
            return JSONResponse({"error": "stopped by the webhook"})
        if obj.get("label") == "owned":
            return JSONResponse({"success": {**obj, "updatedAt": "2000-01-01T00:00:00.000Z"}})
        return JSONResponse({"success": {**obj, "label": obj["label"].upper()}})
    return JSONResponse({"success": True})


@pytest.fixture
async def receiver() -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/{path:path}", _receive, methods=["POST"])])
    async with uvicorn_server(app, host="127.0.0.1", port=0, log_level="warning") as port:
        RECEIVED.clear()
        yield f"http://127.0.0.1:{port}"


async def test_a_webhook_function_is_called_with_parses_payload(api: Api, core: Any, receiver: str) -> None:
    core.settings.webhook_key = "hook-secret"
    r = await api.post("/hooks/functions", {"functionName": "greet", "url": f"{receiver}/greet"}, master=True)
    assert (r.status_code, r.json()) == (201, {"functionName": "greet", "url": f"{receiver}/greet"})
    r = await api.post("/hooks/functions", {"functionName": "greet", "url": f"{receiver}/greet"}, master=True)
    assert r.json() == {"code": 143, "error": "function name: greet already exists"}
    r = await api.post("/hooks/functions", {"functionName": "hello", "url": f"{receiver}/x"}, master=True)
    assert r.json() == {"code": 143, "error": "function name: hello already exists"}  # the cloud file's
    assert (await api.post("/functions/greet", {"name": "Ada"})).json() == \
        {"result": {"greeting": "hi Ada", "user": None}}
    assert (RECEIVED[-1]["key"], RECEIVED[-1]["master"], RECEIVED[-1]["params"]) == ("hook-secret", False, {"name": "Ada"})
    await api.post("/hooks/functions", {"functionName": "lab", "url": f"{receiver}/fail"}, master=True)
    assert (await api.post("/functions/lab", {})).json() == {"code": 141, "error": "the lab system is down"}
    listed = (await api.get("/hooks/functions", master=True)).json()
    assert sorted(f["functionName"] for f in listed) == ["greet", "lab"]
    assert (await api.put("/hooks/functions/lab", {"__op": "Delete"}, master=True)).json() == {}
    assert (await api.post("/functions/lab", {})).json() == {"code": 141, "error": 'Invalid function: "lab"'}
    r = await api.get("/hooks/functions/lab", master=True)
    assert r.json() == {"code": 143, "error": "no function named: lab is defined"}
    assert (await api.get("/hooks/functions")).status_code == 403


async def test_webhook_triggers_change_refuse_and_follow_writes(api: Api, core: Any, receiver: str) -> None:
    for trigger, path in (("beforeSave", "/before-save"), ("afterSave", "/after-save")):
        r = await api.post("/hooks/triggers", {"className": "CloudThing", "triggerName": trigger,
                                               "url": f"{receiver}{path}"}, master=True)
        assert r.status_code == 201, r.text
    seq = await head(core)
    r = await api.post("/classes/CloudThing", {"label": "ward"}, master=True)
    assert r.status_code == 201 and r.json()["label"] == "WARD", r.text  # the file's trigger, then the webhook's
    oid = r.json()["objectId"]
    [(_, _, meta)] = await entries(core, seq, oid)
    assert meta["cloudTriggers"] == {"webhook beforeSave CloudThing": ["label"]}  # the write's entry names it
    assert [e["triggerName"] for e in RECEIVED] == ["beforeSave", "afterSave"]
    assert RECEIVED[1]["object"]["objectId"] == oid
    things = await row_count(core, "CloudThing")
    seq = await head(core)
    r = await api.post("/classes/CloudThing", {"label": "stop"}, master=True)
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": "stopped by the webhook"})
    r = await api.post("/classes/CloudThing", {"label": "owned"}, master=True)
    assert r.json() == {"code": 141, "error": "before_save of CloudThing may not change updatedAt: the server sets it"}
    assert await row_count(core, "CloudThing") == things
    assert seq < await head(core)  # the refusals are in the ledger
    r = await api.delete("/hooks/triggers/CloudThing/beforeSave", master=True)
    assert r.json() == {}
    RECEIVED.clear()
    r = await api.post("/classes/CloudThing", {"label": "quiet"}, master=True)
    got = (await api.get(f"/classes/CloudThing/{r.json()['objectId']}", master=True)).json()
    assert got["label"] == "quiet" and [e["triggerName"] for e in RECEIVED] == ["afterSave"]
