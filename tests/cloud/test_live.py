"""LiveQuery hooks: before_connect may refuse a client, before_subscribe may refuse or change a query."""

from __future__ import annotations

from tests.conftest import APP_ID, MASTER_KEY
from tests.live.conftest import LiveServer, server, ws_impl  # noqa: F401 - the LiveQuery server fixtures


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
