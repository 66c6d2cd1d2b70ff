"""messageThreads (the caller's inbox, exact unread counts) and markThreadRead; message reads are
audited under the patient they concern."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.behavioral.messaging.clinic import BH, open_clinic, refused
from tests.conftest import Api


async def _inbox(c: BH) -> None:
    await c.sent("p1", "provider", conversation="a", body="a1")
    await c.sent("p1", "provider", conversation="a", body="a2")
    await c.sent("provider", "p1", conversation="a", body="a3")
    for n in (1, 2, 3):
        await c.sent("nurse", "p1", conversation="b", body=f"b{n}")
    await c.sent("doc2", "p2", about="p2", conversation="x", body="x1")


async def _threads(c: BH, who: str, **params: Any) -> dict[str, Any]:
    r = await c.call("messageThreads", params, who)
    assert r.status_code == 200, r.text
    return dict(r.json()["result"])


def _summary(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(t["conversationId"], t["lastMessage"]["body"], t["messageCount"], t["unreadCount"])
            for t in result["results"]]


async def test_each_caller_sees_their_threads_with_exact_unread_counts(api: Api) -> None:
    c = await open_clinic(api)
    await _inbox(c)
    mine = await _threads(c, "p1")
    assert _summary(mine) == [("b", "b3", 3, 3), ("a", "a3", 3, 1)] and mine["count"] == 2
    b = mine["results"][0]
    assert b["patient"] == c.profile("p1")
    assert b["participants"] == [c.user("nurse"), c.user("p1")]
    assert b["lastMessage"]["from"] == c.user("nurse") and b["lastMessage"]["sentAt"]["__type"] == "Date"
    assert _summary(await _threads(c, "provider")) == [("a", "a3", 3, 2)]
    assert _summary(await _threads(c, "nurse")) == [("b", "b3", 3, 0)]
    assert _summary(await _threads(c, "p2")) == [("x", "x1", 1, 1)]
    assert _summary(await _threads(c, "doc2")) == [("x", "x1", 1, 0)]
    # paged, and filtered by patient
    page = await _threads(c, "p1", limit=1, skip=1)
    assert (_summary(page), page["count"]) == ([("a", "a3", 3, 1)], 2)
    past = await _threads(c, "p1", skip=5)
    assert (past["results"], past["count"]) == ([], 2)
    assert _summary(await _threads(c, "p1", patient=c.profile("p2"))) == []
    assert _summary(await _threads(c, "provider", patient=c.profiles["p1"])) == [("a", "a3", 3, 2)]


async def test_reading_a_message_advances_the_unread_count(api: Api) -> None:
    c = await open_clinic(api)
    await _inbox(c)
    found = (await api.get("/classes/Message", params={"where": '{"conversationId": "b"}', "order": "createdAt"},
                           session=c.tokens["p1"])).json()["results"]
    r = await api.put(f"/classes/Message/{found[0]['objectId']}", {"isRead": True}, session=c.tokens["p1"])
    assert r.status_code == 200, r.text
    assert _summary(await _threads(c, "p1"))[0] == ("b", "b3", 3, 2)


async def test_mark_thread_read_marks_the_callers_messages_only(api: Api) -> None:
    c = await open_clinic(api)
    await _inbox(c)
    r = await c.call("markThreadRead", {"conversationId": "b"}, "p1")
    assert r.json() == {"result": {"conversationId": "b", "marked": 3}}
    r = await c.call("markThreadRead", {"conversationId": "a"}, "provider")
    assert r.json()["result"]["marked"] == 2
    assert _summary(await _threads(c, "p1")) == [("b", "b3", 3, 0), ("a", "a3", 3, 1)]
    assert _summary(await _threads(c, "provider")) == [("a", "a3", 3, 0)]
    assert (await c.call("markThreadRead", {"conversationId": "b"}, "p1")).json()["result"]["marked"] == 0
    refused(await c.call("markThreadRead", {"conversationId": "b"}, "provider"), 101)  # not theirs to see
    refused(await c.call("markThreadRead", {"conversationId": "x"}, "p1"), 101)
    found = (await api.get("/classes/Message", params={"where": '{"conversationId": "b"}'}, master=True)).json()
    assert {(m["status"], m["isRead"], "readAt" in m) for m in found["results"]} == {("read", True, True)}


async def test_bad_parameters(api: Api) -> None:
    c = await open_clinic(api)
    refused(await c.call("messageThreads", {"limit": 0}, "p1"), 142)
    refused(await c.call("messageThreads", {"limit": 101}, "p1"), 142)
    refused(await c.call("messageThreads", {"skip": -1}, "p1"), 142)
    refused(await c.call("messageThreads", {"limit": "5"}, "p1"), 111)
    refused(await c.call("markThreadRead", {}, "p1"), 142)
    refused(await api.post("/functions/messageThreads", {}), 209)
    refused(await c.call("messageThreads", {}, "admin"), 119)  # no access to the Message class


async def test_message_reads_are_audited_under_their_patient(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider", body="private")
    profile = c.profiles["p1"]
    seq = await head(core)
    await c.get("Message", oid, "provider")
    assert await entries_after(core, seq) == [("read", c.ids["provider"], profile, "Message", oid, "success")]
    seq = await head(core)
    await _threads(c, "p1")
    assert await entries_after(core, seq) == [("read", c.ids["p1"], profile, "Message", oid, "success")]
    seq = await head(core)
    r = await api.put(f"/classes/Message/{oid}", {"isRead": True}, session=c.tokens["provider"])
    assert r.status_code == 200
    assert await entries_after(core, seq) == [("update", c.ids["provider"], profile, "Message", oid, "success")]
    async with core.db.read() as conn:
        kinds = await conn.fetch('SELECT DISTINCT "patientClass" FROM "_Audit" WHERE "targetClass" = \'Message\'')
    assert [tuple(k) for k in kinds] == [("PatientProfile",)]


async def test_protected_fields_apply_to_the_thread_listing(api: Api) -> None:
    c = await open_clinic(api)
    await _inbox(c)
    clp = (await api.get("/schemas/Message", master=True)).json()["classLevelPermissions"]
    r = await api.put("/schemas/Message", {"classLevelPermissions": {**clp, "protectedFields": {"*": ["body"]}}},
                      master=True)
    assert r.status_code == 200, r.text
    listed = (await _threads(c, "provider"))["results"][0]
    assert "body" not in listed["lastMessage"] and listed["unreadCount"] == 2
    assert "body" not in (await api.get("/classes/Message", session=c.tokens["provider"])).json()["results"][0]
