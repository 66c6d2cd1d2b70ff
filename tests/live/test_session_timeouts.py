"""The idle timeout holds on LiveQuery sockets: events are not a use of the session, so a socket
left open stops receiving chart data once its session is idle."""

from __future__ import annotations

import asyncio

from tests.live.conftest import LiveServer
from tests.live.test_clinical import make, staff
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
