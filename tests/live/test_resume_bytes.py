"""The resume window is bounded in bytes (issue 21, item 1): large updates with no subscriber at all
once kept 10,000 before/after copies for 300 s and took a process from 100 MB to 2.9 GB."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.live.conftest import LiveServer, People
from tests.live.test_events import create, update

LIMIT = 2 * 1024 * 1024


def kept_json_bytes(ring: Any) -> int:
    """What the kept events weigh, measured apart from the ring's own count: their rows as JSON."""
    return sum(len(orjson.dumps([item[2].original, item[2].current], default=str)) for item in ring._items)


async def settled(server: LiveServer) -> None:
    async def nothing() -> None:
        await asyncio.sleep(0)

    await server.core.live.hub.call(nothing)  # every change queued before this job is in the window


async def test_the_window_never_holds_more_than_its_byte_budget(server: LiveServer, people: People) -> None:
    ring = server.core.live.hub.ring
    ring.max_bytes = LIMIT
    doc = await create(server, {"title": "big", "n": 0})
    for i in range(40):  # 40 updates of 200 KB: 16 MB of before/after copies without the bound
        await update(server, doc, {"title": f"{i:03d}" + "x" * 200_000, "n": i})
    await settled(server)
    assert 0 < kept_json_bytes(ring) <= LIMIT
    assert ring.bytes <= LIMIT
    assert len(ring._items) < 40  # the oldest left to make room

    # the newest events are still there to resume from
    c = await server.user_client(people.alice.token)
    await c.subscribe(1, "Doc")
    await update(server, doc, {"n": 100})
    mark = (await c.event())["eventId"]
    await c.ws.close()
    await update(server, doc, {"n": 101})
    again = await server.user_client(people.alice.token)
    assert (await again.subscribe(1, "Doc", lastEventId=mark))["resumed"] is True
    assert (await again.event())["object"]["n"] == 101


async def test_an_event_larger_than_the_window_ends_resume_rather_than_leave_a_gap(
    server: LiveServer, people: People
) -> None:
    ring = server.core.live.hub.ring
    ring.max_bytes = 150_000
    c = await server.user_client(people.alice.token)
    await c.subscribe(1, "Doc")
    doc = await create(server, {"title": "small", "n": 0})
    mark = (await c.event())["eventId"]
    await c.ws.close()
    await update(server, doc, {"title": "y" * 200_000})  # over the whole window: not kept
    await update(server, doc, {"n": 1})
    await settled(server)
    again = await server.user_client(people.alice.token)
    assert (await again.subscribe(1, "Doc", lastEventId=mark))["resumed"] is False  # never a silent gap
