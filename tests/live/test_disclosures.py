"""LiveQuery deliveries are disclosures: the ledger names every recipient and every record, one
``read`` entry per subscription and patient per window (never one per event), and refused
subscriptions are recorded with their outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.live.conftest import LiveServer
from tests.live.test_clinical import make, staff
from tests.policy.world import DATE, ptr


async def live_reads(core: Any) -> list[dict[str, Any]]:
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "eventType", "actor", "patient", "targetClass", "outcome", "details", '
                                 '"metadata", "ipAddress" FROM "_Audit" ORDER BY "seq"')
    out = []
    for r in found:
        row = dict(r)
        meta = row["metadata"]
        row["metadata"] = orjson.loads(meta) if isinstance(meta, str | bytes) else meta
        out.append(row)
    return out


async def until(check: Any, timeout: float = 5.0) -> Any:
    for _ in range(int(timeout / 0.05)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the ledger never named it")


async def chart(server: LiveServer) -> tuple[dict[str, str], dict[str, str], str, str]:
    api = server.api
    doc = await staff(api, "doc", "physician")
    outsider = await staff(api, "outsider", "physician")
    patient = await make(api, "Patient", {"mrn": "M1", "fullName": "Ada", "dateOfBirth": DATE, "status": "active"},
                         doc["token"])
    encounter = await make(api, "Encounter", {"patient": ptr("Patient", patient), "encounterNumber": "E1",
                                              "type": "outpatient", "startedAt": DATE, "status": "open"}, doc["token"])
    return doc, outsider, patient, encounter


async def test_deliveries_are_named_per_subscription_and_patient_when_it_ends(server: LiveServer) -> None:
    api = server.api
    doc, _outsider, patient, _encounter = await chart(server)
    client = await server.user_client(doc["token"])
    await client.subscribe(7, "Encounter", {"patient": ptr("Patient", patient)})
    ids = []
    for n in range(5):
        ids.append(await make(api, "Encounter", {"patient": ptr("Patient", patient), "encounterNumber": f"X{n}",
                                                 "type": "outpatient", "startedAt": DATE, "status": "open"},
                              doc["token"]))
        assert (await client.event())["object"]["objectId"] == ids[-1]
    r = await api.put(f"/classes/Encounter/{ids[0]}", {"status": "closed"}, session=doc["token"])
    assert r.status_code == 200, r.text
    assert (await client.event())["op"] == "update"
    before = [e for e in await live_reads(server.core) if (e["metadata"] or {}).get("liveQuery")]
    assert before == []  # within the window: nothing yet, nothing per event

    await client.send({"op": "unsubscribe", "requestId": 7})
    assert (await client.recv())["op"] == "unsubscribed"

    async def named() -> list[dict[str, Any]]:
        return [e for e in await live_reads(server.core)
                if (e["metadata"] or {}).get("liveQuery") and e["eventType"] == "read"]
    [entry] = await until(named)
    assert (entry["actor"], entry["patient"], entry["targetClass"], entry["outcome"]) == (
        doc["id"], patient, "Encounter", "success")
    assert entry["ipAddress"] == "127.0.0.1"
    meta = entry["metadata"]
    assert (meta["subscription"], meta["events"]) == (7, 6)
    assert meta["objects"] == [f"Encounter/{i}" for i in ids]
    assert entry["details"] == "LiveQuery: 6 event(s), 5 object(s)"


async def test_deliveries_are_flushed_periodically_and_on_close(server: LiveServer) -> None:
    server.core.settings.live_query_disclosure_seconds = 0.2
    server.core.live.hub.disclosures.start()
    api = server.api
    doc, _outsider, patient, encounter = await chart(server)
    watcher = await server.user_client(doc["token"])
    await watcher.subscribe(1, "Encounter", {"objectId": encounter})
    r = await api.put(f"/classes/Encounter/{encounter}", {"status": "closed"}, session=doc["token"])
    assert r.status_code == 200
    await watcher.event()

    async def named() -> list[dict[str, Any]]:
        return [e for e in await live_reads(server.core) if (e["metadata"] or {}).get("liveQuery")]
    [first] = await until(named)  # the window closed while the subscription is still open
    assert first["metadata"]["objects"] == [f"Encounter/{encounter}"]

    r = await api.put(f"/classes/Encounter/{encounter}", {"status": "open"}, session=doc["token"])
    await watcher.event()
    await watcher.ws.close()  # the connection closes: what is left is written

    async def two() -> list[dict[str, Any]]:
        found = await named()
        return found if len(found) == 2 else []
    await until(two)


async def test_refused_subscription_and_connect_are_recorded(server: LiveServer) -> None:
    api = server.api
    _doc, _outsider, patient, _encounter = await chart(server)
    pat = await api.signup("pat")
    client = await server.user_client(pat["sessionToken"])
    refused = await client.ask({"op": "subscribe", "requestId": 3,
                                "query": {"className": "MedicalNote", "where": {"patient": ptr("Patient", patient)}}})
    assert refused["code"] == 119

    async def found() -> list[dict[str, Any]]:
        return [e for e in await live_reads(server.core) if e["eventType"] == "subscribe"]
    [entry] = await until(found)
    assert (entry["actor"], entry["targetClass"], entry["outcome"]) == (pat["objectId"], "MedicalNote", "failure")
    assert entry["details"] == "119: Permission denied for action find on class MedicalNote."
    assert entry["metadata"] == {"liveQuery": True, "subscription": 3}

    bad = await server.client()
    reply = await bad.ask({"op": "connect", "applicationId": "test-app", "sessionToken": "r:forged"})
    assert (reply["op"], reply["code"]) == ("error", 209)

    async def auth() -> list[dict[str, Any]]:
        return [e for e in await live_reads(server.core) if e["eventType"] == "auth_failed"]
    [entry] = await until(auth)
    assert (entry["outcome"], entry["details"], entry["metadata"]) == (
        "failure", "209: Invalid session token", {"credential": "sessionToken"})
    assert "r:forged" not in orjson.dumps(entry).decode()
