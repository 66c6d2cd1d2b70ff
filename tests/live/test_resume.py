"""Resume (a Chartkeep extension): a client that reconnects with the last event id it received
gets the events it missed, in order, through the same matching and access checks, then the live
ones — no gap, no duplicate. An id outside the window is answered ``"resumed": false``."""

from __future__ import annotations

from tests.live.conftest import LiveServer, People
from tests.live.test_events import create, update


async def test_a_reconnecting_client_receives_what_it_missed(server: LiveServer, people: People) -> None:
    first = await server.user_client(people.alice.token)
    await first.subscribe(1, "Doc", {"n": {"$gte": 1}})
    a = await create(server, {"title": "a", "n": 1})
    seen = await first.event()
    await first.ws.close()

    b = await create(server, {"title": "b", "n": 1})  # missed: create
    await update(server, a, {"n": 0})  # missed: leave
    await create(server, {"title": "hidden", "n": 1, "ACL": {people.bob.id: {"read": True}}})  # never alice's
    await create(server, {"title": "other", "n": 0})  # never matched

    again = await server.user_client(people.alice.token)
    reply = await again.subscribe(1, "Doc", {"n": {"$gte": 1}}, lastEventId=seen["eventId"])
    assert reply["resumed"] is True
    replayed = [await again.event(), await again.event()]
    assert [(e["op"], e["object"]["objectId"]) for e in replayed] == [("create", b), ("leave", a)]
    await again.nothing()
    c = await create(server, {"title": "c", "n": 2})
    live = await again.event()
    assert (live["op"], live["object"]["objectId"]) == ("create", c)
    assert live["eventId"] not in {e["eventId"] for e in replayed}


async def test_resuming_twice_from_the_same_point_replays_the_same_events(server: LiveServer, people: People) -> None:
    c = await server.user_client(people.alice.token)
    await c.subscribe(1, "Doc")
    await create(server, {"title": "0"})
    mark = (await c.event())["eventId"]
    for title in ("1", "2"):
        await create(server, {"title": title})
        await c.event()
    for request_id in (2, 3):
        assert (await c.subscribe(request_id, "Doc", lastEventId=mark))["resumed"] is True
        assert [(await c.event())["object"]["title"] for _ in range(2)] == ["1", "2"]
    await c.nothing()


async def test_an_unknown_or_expired_event_id_is_not_resumed(server: LiveServer, people: People) -> None:
    c = await server.user_client(people.alice.token)
    reply = await c.subscribe(1, "Doc", lastEventId="deadbeef-1")
    assert reply == {"op": "subscribed", "clientId": reply["clientId"], "requestId": 1, "resumed": False}
    await c.nothing()

    server.core.live.hub.ring.size = 2
    await c.subscribe(2, "Doc")
    await create(server, {"title": "0"})
    mark = (await c.event())["eventId"]
    assert (await c.event())["eventId"] == mark  # one event id per change, whatever the subscription
    for title in ("1", "2", "3"):
        await create(server, {"title": title})
        assert (await c.event())["requestId"] in (1, 2)
        assert (await c.event())["requestId"] in (1, 2)
    assert (await c.subscribe(3, "Doc", lastEventId=mark))["resumed"] is False  # pushed out of the window
    await c.nothing()
