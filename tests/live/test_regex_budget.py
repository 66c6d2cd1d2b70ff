"""A LiveQuery subscription's ``$regex`` runs on RE2 on the event loop (issue 21, item 2):
``(a+)+$`` against a 27-character value once held every request for 13–18 s."""

from __future__ import annotations

import time

from tests.live.conftest import LiveServer, People
from tests.live.test_events import create


async def test_a_catastrophic_pattern_does_not_hold_the_loop(server: LiveServer, people: People) -> None:
    hostile = await server.user_client(people.alice.token)
    await hostile.subscribe(1, "Doc", {"title": {"$regex": "(a+)+$"}})
    await hostile.subscribe(2, "Doc", {"title": {"$regex": "^a+b$"}})
    other = await server.user_client(people.alice.token)
    await other.subscribe(1, "Doc")
    started = time.perf_counter()
    made = await create(server, {"title": "a" * 27 + "b", "n": 1})
    assert (await other.event(timeout=2.0))["object"]["objectId"] == made
    event = await hostile.event(timeout=2.0)
    assert (event["requestId"], event["object"]["objectId"]) == (2, made)  # only the pattern that matches
    assert time.perf_counter() - started < 1.5
    await hostile.nothing()
