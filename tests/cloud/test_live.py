"""LiveQuery hooks: before_connect may refuse a client, before_subscribe may refuse or change a query,
after_live_query_event may reshape or drop each subscriber's event — never widen what it reads."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.access.conftest import OPEN_CLP
from tests.conftest import APP_ID, MASTER_KEY
from tests.live.conftest import LiveClient, LiveServer, server, ws_impl  # noqa: F401 - the LiveQuery server fixtures


async def test_before_connect_may_refuse_a_client(server: LiveServer) -> None:  # noqa: F811
    c = await server.client()
    reply = await c.ask({"op": "connect", "applicationId": APP_ID, "masterKey": MASTER_KEY,
                         "installationId": "banned-device"})
    assert reply == {"op": "error", "code": 119, "error": "This device is not allowed", "reconnect": False,
                     "requestId": None}
    await c.connect(masterKey=MASTER_KEY, installationId="fine-device")  # the connection keeps working


async def test_before_subscribe_narrows_or_refuses_a_subscription(server: LiveServer) -> None:  # noqa: F811
    c = await server.user_client(master=True)
    reply = await c.ask({"op": "subscribe", "requestId": 1,
                         "query": {"className": "CloudThing", "where": {"label": "forbidden"}}})
    assert (reply["op"], reply["code"], reply["error"], reply["requestId"]) == \
        ("error", 119, "No subscribing to that", 1)
    await c.subscribe(2, "CloudThing")
    assert (await server.api.post("/classes/CloudThing", {"label": "old", "archived": True}, master=True)).status_code \
        == 201
    await c.nothing()  # the hook's constraint: archived things are not heard of
    await server.api.post("/classes/CloudThing", {"label": "new"}, master=True)
    event = await c.event()
    assert (event["op"], event["object"]["label"]) == ("create", "new")


# ---- after_live_query_event (tests/cloud/clinic_cloud.py: live_thing_event) -------------------------

LIVE_THING_FIELDS = {"label": {"type": "String"}, "secret": {"type": "String"}, "note": {"type": "String"}}
PUBLIC_READ = {"*": {"read": True}}


async def _live_things(server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:  # noqa: F811
    """``LiveThing`` (``secret`` protected from everyone but the master key) and two users."""
    clp = {**OPEN_CLP, "protectedFields": {"*": ["secret"]}}
    r = await server.api.post("/schemas/LiveThing", {"className": "LiveThing", "fields": LIVE_THING_FIELDS,
                                                     "classLevelPermissions": clp}, master=True)
    assert r.status_code == 200, r.text
    return await server.api.signup("alice"), await server.api.signup("bob")


async def _client(server: LiveServer, token: str, installation_id: str | None = None) -> LiveClient:  # noqa: F811
    c = await server.client()
    await c.connect(sessionToken=token, **({"installationId": installation_id} if installation_id else {}))
    await c.subscribe(1, "LiveThing")
    return c


async def _create(server: LiveServer, **fields: Any) -> str:  # noqa: F811
    r = await server.api.post("/classes/LiveThing", {"ACL": PUBLIC_READ, **fields}, master=True)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def test_after_live_query_event_reshapes_each_delivery_for_its_subscriber(server: LiveServer) -> None:  # noqa: F811
    alice, bob = await _live_things(server)
    a = await _client(server, alice["sessionToken"], "alice-phone")
    b = await _client(server, bob["sessionToken"])
    thing = await _create(server, label="hello", secret="s", note="n")
    got_a, got_b = (await a.event())["object"], (await b.event())["object"]
    assert (got_a["objectId"], got_a["label"], got_a["note"], got_a["heard"]) == \
        (thing, "HELLO", "n", "create by alice from alice-phone")
    assert got_b["heard"] == "create by bob from None"  # the hook ran once per subscriber, as that subscriber
    assert "secret" not in got_a and "secret" not in got_b

    r = await server.api.put(f"/classes/LiveThing/{thing}", {"label": "again"}, master=True)
    assert r.status_code == 200, r.text
    event = await a.event()
    assert (event["op"], event["object"]["label"], event["object"]["was"], event["object"]["heard"]) == \
        ("update", "AGAIN", "hello", "update by alice from alice-phone")
    assert event["original"]["label"] == "hello"  # the original as decided: the hook did not change it
    assert (await b.event())["object"]["heard"] == "update by bob from None"


async def test_after_live_query_event_cannot_widen_what_a_subscriber_reads(server: LiveServer) -> None:  # noqa: F811
    alice, _ = await _live_things(server)
    a = await _client(server, alice["sessionToken"])
    thing = await _create(server, label="calm", secret="s")
    await a.event()
    r = await server.api.put(f"/classes/LiveThing/{thing}", {"label": "widen", "secret": "s2"}, master=True)
    assert r.status_code == 200, r.text
    event = await a.event()
    obj, original = event["object"], event["original"]
    assert "secret" not in obj and "secret" not in original  # protected: the hook cannot put it back
    assert obj["objectId"] == thing and original["objectId"] == thing  # the server's own fields stay as decided
    assert obj["ACL"] == PUBLIC_READ
    assert (obj["label"], obj["was"]) == ("WIDEN", "calm")  # the rest of what it changed is delivered


async def test_after_live_query_event_drops_and_failures_are_not_delivered(
    server: LiveServer, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    alice, _ = await _live_things(server)
    a = await _client(server, alice["sessionToken"])
    await _create(server, label="drop")
    await a.nothing()  # req.send_event = False
    with caplog.at_level(logging.ERROR, logger="chartkeep"):
        await _create(server, label="crash")
        await a.nothing()
        await _create(server, label="slow")  # outlasts cloud_timeout (1 s in these tests)
        await a.nothing(1.5)
    assert "live hook broke" in caplog.text
    assert "Script timed out" in caplog.text and "event not delivered" in caplog.text
    await _create(server, label="fine")  # the subscription keeps working
    assert (await a.event())["object"]["label"] == "FINE"


async def test_a_class_without_the_hook_never_reaches_it(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    assert "CloudThing" not in server.core.hooks.live_event and "LiveThing" in server.core.hooks.live_event

    async def never(*args: Any) -> None:
        raise AssertionError("after_live_query_event machinery ran for a class without the hook")

    monkeypatch.setattr(server.core.live.hub, "_after_event", never)
    c = await server.user_client(master=True)
    await c.subscribe(1, "CloudThing")
    await server.api.post("/classes/CloudThing", {"label": "plain"}, master=True)
    event = await c.event()
    assert (event["op"], event["object"]["label"]) == ("create", "plain")
    assert "heard" not in event["object"]


async def test_a_resuming_client_is_replayed_its_events_through_the_hook(server: LiveServer) -> None:  # noqa: F811
    alice, _ = await _live_things(server)
    first = await _client(server, alice["sessionToken"])
    await _create(server, label="one")
    mark = (await first.event())["eventId"]
    await first.ws.close()
    await _create(server, label="drop")  # missed, and dropped by the hook on replay too
    await _create(server, label="two")  # missed
    again = await server.client()
    await again.connect(sessionToken=alice["sessionToken"])
    assert (await again.subscribe(1, "LiveThing", lastEventId=mark))["resumed"] is True
    replayed = await again.event()
    assert (replayed["object"]["label"], replayed["object"]["heard"]) == ("TWO", "create by alice from None")
    await again.nothing()


async def test_reloading_the_cloud_code_forgets_the_hook(core: Any) -> None:
    assert "LiveThing" in core.hooks.live_event
    core.hooks.clear_user()  # what cloud_reload does before installing the new version
    assert core.hooks.live_event == {}
