"""The idle timeout holds on LiveQuery sockets: events are not a use of the session, so a socket
left open stops receiving chart data once its session is idle."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import websockets

from tests.live.conftest import LiveServer
from tests.live.test_clinical import make, staff
from tests.live.test_disclosures import live_reads
from tests.policy.world import DATE, ptr


async def test_an_idle_sessions_socket_receives_no_more_events(server: LiveServer) -> None:
    api = server.api
    doc = await staff(api, "doc", "physician")
    patient = await make(api, "Patient", {"mrn": "M1", "fullName": "Ada", "dateOfBirth": DATE, "status": "active"},
                         doc["token"])
    encounter = await make(api, "Encounter", {"patient": ptr("Patient", patient), "encounterNumber": "E1",
                                              "type": "outpatient", "startedAt": DATE, "status": "open"}, doc["token"])
    server.core.settings.session_idle_timeout = 1
    client = await server.user_client(doc["token"])
    await client.subscribe(1, "Encounter", {"objectId": encounter})
    r = await api.put(f"/classes/Encounter/{encounter}", {"status": "closed"}, master=True)
    assert r.status_code == 200
    assert (await client.event())["op"] == "update"
    await asyncio.sleep(1.2)  # nobody uses the doctor's session; events do not count
    r = await api.put(f"/classes/Encounter/{encounter}", {"status": "open"}, master=True)
    assert r.status_code == 200
    await client.nothing(0.6)
    r = await api.get(f"/classes/Encounter/{encounter}", session=doc["token"])
    assert r.json() == {"code": 209, "error": "Session token is expired."}


async def closed_with(client: Any, timeout: float = 5.0) -> tuple[dict[str, Any], int | None]:
    """The error frame the server sent last, and the close code of the socket it then closed."""
    frame = await client.recv(timeout)
    with contextlib.suppress(websockets.ConnectionClosed):
        await asyncio.wait_for(client.ws.recv(), timeout)
        raise AssertionError("the socket stayed open after the error frame")
    return frame, client.ws.close_code


async def closings(server: LiveServer) -> list[dict[str, Any]]:
    return [e for e in await live_reads(server.core) if e["eventType"] == "live_session_closed"]


async def test_a_socket_whose_session_went_idle_is_closed_with_209_and_the_ledger_names_it(
        server: LiveServer) -> None:
    doc = await staff(server.api, "doc", "physician")
    server.core.settings.session_idle_timeout = 1
    server.core.settings.live_query_session_check_seconds = 0.2
    client = await server.user_client(doc["token"])
    await client.subscribe(1, "Encounter", {"status": "open"})
    assert await closings(server) == []
    started = time.monotonic()
    frame, code = await closed_with(client)
    assert frame == {"op": "error", "error": "Invalid session token", "code": 209, "reconnect": False,
                     "requestId": None}
    assert code == 1008
    assert 0.9 < time.monotonic() - started < 3.0
    [closed] = await closings(server)
    assert closed["actor"] == doc["id"] and closed["outcome"] == "failure"
    assert closed["details"] == "209: Session token is expired."
    assert closed["metadata"] == {"liveQuery": True, "subscriptions": 1}


async def test_a_socket_is_closed_once_its_user_logs_out_elsewhere(server: LiveServer) -> None:
    doc = await staff(server.api, "doc", "physician")
    server.core.settings.live_query_session_check_seconds = 0.2
    client = await server.user_client(doc["token"])
    await client.subscribe(1, "Encounter", {"status": "open"})
    await client.nothing(0.5)  # a live session: the socket stays open
    r = await server.api.post("/logout", {}, session=doc["token"])
    assert r.status_code == 200
    frame, code = await closed_with(client)
    assert (frame["code"], frame["error"], code) == (209, "Invalid session token", 1008)
    [closed] = await closings(server)
    assert closed["actor"] == doc["id"]


async def test_a_subscriptions_own_session_ending_closes_the_socket(server: LiveServer) -> None:
    doc = await staff(server.api, "doc", "physician")
    nurse = await staff(server.api, "nurse", "nurse")
    server.core.settings.live_query_session_check_seconds = 0.2
    client = await server.user_client(doc["token"])  # the connection's session stays live
    await client.subscribe(1, "Encounter", {"status": "open"}, sessionToken=nurse["token"])
    assert (await server.api.post("/logout", {}, session=nurse["token"])).status_code == 200
    frame, _ = await closed_with(client)
    assert frame["code"] == 209
    [closed] = await closings(server)
    assert closed["actor"] == nurse["id"]
