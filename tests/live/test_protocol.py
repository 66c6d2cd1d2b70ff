"""The LiveQuery protocol's messages and errors, as Parse Server 9 sends them (captured from it).

Every refusal is an ``error`` message on the same connection, which keeps working afterwards.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import websockets

from tests.conftest import APP_ID, MASTER_KEY
from tests.live.conftest import LiveServer, People

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def error(code: int, message: str, reconnect: bool = True, request_id: Any = None) -> dict[str, Any]:
    return {"op": "error", "error": message, "code": code, "reconnect": reconnect, "requestId": request_id}


async def test_connect_subscribe_unsubscribe_messages(server: LiveServer) -> None:
    c = await server.client()
    connected = await c.ask({"op": "connect", "applicationId": APP_ID, "masterKey": MASTER_KEY, "installationId": "i-1"})
    client_id = connected["clientId"]
    assert UUID.match(client_id)
    assert connected == {"op": "connected", "clientId": client_id, "installationId": "i-1"}
    sub = {"op": "subscribe", "requestId": 7, "query": {"className": "_User", "where": {}}}
    assert await c.ask(sub) == {"op": "subscribed", "clientId": client_id, "installationId": "i-1", "requestId": 7}
    update = {"op": "update", "requestId": 7, "query": {"className": "_User", "where": {"username": "x"}}}
    assert await c.ask(update) == {"op": "subscribed", "clientId": client_id, "installationId": "i-1", "requestId": 7}
    assert await c.ask({"op": "unsubscribe", "requestId": 7}) == {
        "op": "unsubscribed", "clientId": client_id, "installationId": "i-1", "requestId": 7,
    }
    assert await c.ask({"op": "unsubscribe", "requestId": 7}) == error(
        2, f"Cannot find subscription with clientId {client_id} subscriptionId 7. "
        "Make sure you subscribe to live query server before unsubscribing.",
    )


async def test_operations_before_connect_are_refused(server: LiveServer) -> None:
    c = await server.client()
    sub = {"op": "subscribe", "requestId": 1, "query": {"className": "_User", "where": {}}}
    assert await c.ask(sub) == error(2, "Can not find this client, make sure you connect to server before subscribing")
    assert await c.ask({"op": "unsubscribe", "requestId": 1}) == error(
        2, "Can not find this client, make sure you connect to server before unsubscribing"
    )
    await c.connect()


SUB = {"op": "subscribe", "requestId": 1}
MALFORMED = [
    ("not json", "Invalid JSON"),
    ("[1, 2]", "Invalid type: array (expected object)"),
    ("null", "Invalid type: null (expected object)"),
    ({"requestId": 1}, "Missing required property: op"),
    ({"op": 5}, "Invalid type: number (expected string)"),
    ({"op": "bogus"}, 'No enum match for: "bogus"'),
    ({"op": "connect"}, "Missing required property: applicationId"),
    ({"op": "connect", "applicationId": 1}, "Invalid type: number (expected string)"),
    ({"op": "connect", "applicationId": APP_ID, "extra": 1}, "Additional properties not allowed"),
    ({"op": "subscribe", "query": {"className": "X", "where": {}}}, "Missing required property: requestId"),
    ({**SUB, "requestId": "x", "query": {"className": "X", "where": {}}}, "Invalid type: string (expected number)"),
    ({**SUB, "query": {"className": "X"}}, "Missing required property: where"),
    ({**SUB, "query": {"className": "X", "where": []}}, "Invalid type: array (expected object)"),
    ({**SUB, "query": {"className": "X", "where": {}, "limit": 1}}, "Additional properties not allowed"),
    ({**SUB, "query": {"className": "X", "where": {}, "keys": []}}, "Array is too short (0), minimum 1"),
    ({**SUB, "query": {"className": "X", "where": {}, "keys": ["a", "b", "a"]}}, "Array items are not unique (indices 0 and 2)"),
    ({**SUB, "query": {"className": "X", "where": {}, "watch": [1]}}, "Invalid type: number (expected string)"),
    ({"op": "unsubscribe"}, "Missing required property: requestId"),
]


async def test_malformed_frames_get_an_error_and_the_connection_keeps_working(server: LiveServer) -> None:
    c = await server.client()
    for frame, message in MALFORMED:
        assert await c.ask(frame) == error(1, message), frame
    await c.connect()
    for frame, message in MALFORMED:
        assert await c.ask(frame) == error(1, message), frame
    assert (await c.ask({"op": "subscribe", "requestId": 1, "query": {"className": "_User", "where": {}}}))["op"] == "subscribed"


async def test_oversized_frame_is_refused(server: LiveServer) -> None:
    server.core.settings.live_query_max_frame_bytes = 1000
    c = await server.client()
    await c.connect()
    big = {"op": "subscribe", "requestId": 1, "query": {"className": "Doc", "where": {"title": "x" * 2000}}}
    assert await c.ask(big) == error(1, "Message larger than 1000 bytes", False)
    await c.subscribe(2, "_User")


async def test_connect_keys(server: LiveServer, people: People) -> None:
    c = await server.client()
    assert await c.ask({"op": "connect", "applicationId": "wrong"}) == error(4, "Key in request is not valid")
    bad_session = {"op": "connect", "applicationId": APP_ID, "sessionToken": "r:nope"}
    assert await c.ask(bad_session) == error(209, "Invalid session token", False)
    assert await c.ask({"op": "connect", "applicationId": APP_ID, "masterKey": "wrong"}) == error(
        119, "Permission denied", False
    )
    server.core.settings.master_key_ips = ["10.0.0.0/8"]
    assert await c.ask({"op": "connect", "applicationId": APP_ID, "masterKey": MASTER_KEY}) == error(
        4, "Key in request is not valid"
    )
    await c.connect(sessionToken=people.alice.token)


async def test_rest_api_key_is_required_when_configured(server: LiveServer) -> None:
    server.core.settings.rest_api_key = "rk"
    c = await server.client()
    assert await c.ask({"op": "connect", "applicationId": APP_ID}) == error(4, "Key in request is not valid")
    await c.connect(restAPIKey="rk")
    d = await server.client()
    await d.connect(javascriptKey="rk")


async def test_a_subscription_may_read_with_its_own_session(server: LiveServer, people: People) -> None:
    server.core.settings.rest_api_key = "rk"
    c = await server.client()
    await c.connect(restAPIKey="rk")
    await c.subscribe(1, "Doc", sessionToken=people.alice.token)
    r = await server.api.post("/classes/Doc", {"title": "a", "ACL": {people.alice.id: {"read": True}}},
                              master=True, headers={"X-Parse-REST-API-Key": "rk"})
    assert r.status_code == 201, r.text
    assert (await c.event())["object"]["title"] == "a"


async def test_subscriptions_are_checked_like_a_find(server: LiveServer, people: People) -> None:
    api = server.api
    r = await api.put("/schemas/Doc", {"classLevelPermissions": {
        "find": {"role:Reader": True}, "get": {"*": True}, "protectedFields": {"*": ["secret"]},
    }}, master=True)
    assert r.status_code == 200, r.text
    alice = await server.user_client(people.alice.token)

    async def refused(request_id: int, query: dict[str, Any], code: int, message: str, **extra: Any) -> None:
        got = await alice.ask({"op": "subscribe", "requestId": request_id, "query": query, **extra})
        assert got == error(code, message, False, request_id)

    await refused(1, {"className": "Nope", "where": {}}, 119, "Permission denied")
    await refused(2, {"className": "Doc", "where": {}}, 119, "Permission denied for action find on class Doc.")
    # a query on one objectId is a get, which the CLP allows
    await alice.subscribe(3, "Doc", {"objectId": "abc"})
    await refused(4, {"className": "Doc", "where": {"objectId": "abc", "secret": "s"}}, 119,
                  "Permission denied for action find on class Doc.")
    carol = await server.user_client(people.carol.token)
    got = await carol.ask({"op": "subscribe", "requestId": 5, "query": {"className": "Doc", "where": {"secret": "s"}}})
    assert got == error(119, "This user is not allowed to query secret on class Doc", False, 5)
    sub = {"className": "Doc", "where": {"ref": {"$inQuery": {"className": "Other", "where": {}}}}}
    got = await carol.ask({"op": "subscribe", "requestId": 6, "query": sub})
    assert got == error(102, "LiveQuery cannot match $inQuery, $notInQuery, $select, $dontSelect, $relatedTo or "
                        "Relation fields", False, 6)
    got = await carol.ask({"op": "subscribe", "requestId": 7, "query": {"className": "Doc", "where": {"n": {"$bogus": 1}}}})
    assert got == error(107, "bad constraint: $bogus", False, 7)
    got = await carol.ask({"op": "subscribe", "requestId": 8, "query": {"className": "Doc", "where": {}},
                           "sessionToken": "r:dead"})
    assert got == error(209, "Invalid session token", False, 8)
    await carol.subscribe(9, "Doc", {"n": {"$gt": 1}})


async def test_subscription_limit(server: LiveServer) -> None:
    server.core.settings.live_query_max_subscriptions = 2
    c = await server.user_client(master=True)
    await c.subscribe(1, "_User")
    await c.subscribe(2, "_User")
    await c.subscribe(2, "_User", {"username": "x"})  # replacing one is not another one
    third = {"op": "subscribe", "requestId": 3, "query": {"className": "_User", "where": {}}}
    assert await c.ask(third) == error(1, "Too many subscriptions on this connection (at most 2)", False, 3)
    assert (await c.ask({"op": "unsubscribe", "requestId": 1}))["op"] == "unsubscribed"
    await c.subscribe(3, "_User")


async def test_a_second_connect_starts_a_new_client(server: LiveServer) -> None:
    c = await server.user_client(master=True)
    await c.subscribe(1, "_User")
    again = await c.connect()
    assert (await c.ask({"op": "unsubscribe", "requestId": 1}))["error"].startswith(
        f"Cannot find subscription with clientId {again['clientId']} subscriptionId 1."
    )


async def test_connect_timeout_closes_a_silent_connection(server: LiveServer) -> None:
    server.core.settings.live_query_connect_timeout = 0.3
    c = await server.client()
    assert await c.recv() == error(1, "No connect message within 0.3 seconds", False)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await c.recv(2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize("path", ["/parse", "/parse/"])
async def test_the_socket_lives_on_the_rest_mount(server: LiveServer, path: str) -> None:
    c = await server.client(path)
    await c.connect()
