"""All lagging LiveQuery clients of a process together hold at most live_query_send_buffer_total_bytes
unsent (issue 21, item 1): each alone under its own buffer limit, together over the total, the one
that would pass it is closed with 1013, and clients that keep up are not affected."""

from __future__ import annotations

import pytest
import websockets

from chartkeep.api.live import outlet
from tests.live.conftest import LiveServer, People
from tests.live.test_events import update
from tests.live.test_outlet import SUBS, slow_and_fast


@pytest.mark.parametrize("ws_impl", ["websockets-sansio", "websockets"])
async def test_lagging_clients_share_one_budget(server: LiveServer, people: People, ws_impl: str) -> None:
    server.core.settings.live_query_send_buffer_bytes = 64 * 1024 * 1024  # no client is too slow on its own
    server.core.settings.live_query_send_buffer_total_bytes = 2 * 1024 * 1024
    slow, fast, doc = await slow_and_fast(server)
    writes = 12  # 12 x 50 x 40 kB = 24 MB for the slow client
    for n in range(1, writes + 1):
        await update(server, doc, {"n": n})
        event = await fast.event()
        assert (event["op"], event["object"]["n"]) == ("update", n)
        assert outlet.BACKLOG.total <= 2 * 1024 * 1024
    got = 0
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await slow.recv(10)
            got += 1
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert got < SUBS * (writes + 1)
    await update(server, doc, {"n": 99})
    assert (await fast.event())["object"]["n"] == 99
    assert outlet.BACKLOG.total < 1024 * 1024  # the closed client's bytes are no longer counted
