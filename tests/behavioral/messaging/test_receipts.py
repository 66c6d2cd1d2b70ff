"""Sending and receipts: the server sets the sender and the send state; only the recipient
advances sent → delivered → read; nothing else of a sent message changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chartkeep.schema.dates import parse_iso
from tests.behavioral.messaging.clinic import open_clinic, refused, snapshot
from tests.conftest import Api

OLD = {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}


def _iso(d: dict[str, Any]) -> datetime:
    return parse_iso(d["iso"])


async def test_the_server_sets_sender_time_and_state_and_the_acl(api: Api) -> None:
    c = await open_clinic(api)
    before = datetime.now(UTC) - timedelta(seconds=1)
    oid = await c.sent("p1", "provider", sentAt=OLD, status="sent")
    m = await c.get("Message", oid)
    assert (m["from"], m["to"], m["status"], m["isRead"]) == (c.user("p1"), c.user("provider"), "sent", False)
    assert before <= _iso(m["sentAt"]) <= datetime.now(UTC)  # the client's 2020 date was not kept
    assert "deliveredAt" not in m and "readAt" not in m
    assert m["ACL"] == {c.ids["p1"]: {"read": True}, c.ids["provider"]: {"read": True, "write": True}}


async def test_a_client_cannot_send_in_another_name_or_as_already_read(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    before = await snapshot(core)
    r = await api.post("/classes/Message", {**c.message("p1", "provider"), "from": c.user("nurse")},
                       session=c.tokens["p1"])
    refused(r, 119, "a message is sent in the sender's own name")
    refused(await c.send("p1", "provider", isRead=True), 142, "A message is sent unread")
    refused(await c.send("p1", "provider", status="read"), 142, "A message is sent with status sent")
    refused(await c.send("p1", "provider", status="delivered"), 142)
    refused(await c.send("p1", "provider", status="opened"), 142, "Message status must be one of sent, delivered, read")
    assert await snapshot(core) == before


async def test_receipts_advance_only_forwards_and_only_by_the_recipient(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider")
    path = f"/classes/Message/{oid}"
    r = await api.put(path, {"status": "delivered"}, session=c.tokens["provider"])
    assert r.status_code == 200, r.text
    m = await c.get("Message", oid)
    assert (m["status"], m["isRead"], "readAt" in m) == ("delivered", False, False)
    delivered = _iso(m["deliveredAt"])
    assert delivered >= _iso(m["sentAt"])
    # isRead: true alone means read; deliveredAt is kept, readAt set by the server
    r = await api.put(path, {"isRead": True, "readAt": OLD, "deliveredAt": OLD}, session=c.tokens["provider"])
    assert r.status_code == 200, r.text
    m = await c.get("Message", oid)
    assert (m["status"], m["isRead"], _iso(m["deliveredAt"])) == ("read", True, delivered)
    assert _iso(m["readAt"]) >= delivered
    # backwards: never; re-sending the current state is a no-op
    before = await snapshot(core)
    refused(await api.put(path, {"status": "delivered"}, session=c.tokens["provider"]), 142,
            "cannot go back from read to delivered")
    refused(await api.put(path, {"isRead": False}, session=c.tokens["provider"]), 142, "cannot become unread")
    refused(await api.put(path, {"status": "sent", "isRead": False}, session=c.tokens["provider"]), 142)
    refused(await api.put(path, {"status": "delivered", "isRead": True}, session=c.tokens["provider"]), 142,
            "isRead is true exactly when status is read")
    assert await snapshot(core) == before
    assert (await api.put(path, {"isRead": True, "status": "read"}, session=c.tokens["provider"])).status_code == 200
    assert (await c.get("Message", oid))["readAt"] == m["readAt"]


async def test_sent_straight_to_read_sets_both_times(api: Api) -> None:
    c = await open_clinic(api)
    oid = await c.sent("provider", "p1")
    r = await api.put(f"/classes/Message/{oid}", {"status": "read"}, session=c.tokens["p1"])
    assert r.status_code == 200, r.text
    m = await c.get("Message", oid)
    assert (m["status"], m["isRead"], m["deliveredAt"]) == ("read", True, m["readAt"])


async def test_a_patient_cannot_mark_read_for_someone_else_or_change_the_sender(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider", body="I feel better")
    path = f"/classes/Message/{oid}"
    before = await snapshot(core)
    # the sender: the receipt is the recipient's
    for change in ({"isRead": True}, {"status": "read"}, {"status": "delivered"}):
        refused(await api.put(path, change, session=c.tokens["p1"]), 119,
                "only the recipient of a message marks it delivered or read")
    # nobody changes who sent it, to whom, about whom, or what it says — the recipient neither
    for who in ("p1", "provider"):
        for change in ({"from": c.user("nurse")}, {"from": c.user(who)} if who == "provider" else {"to": c.user("nurse")},
                       {"body": "changed"}, {"patient": c.profile("p2")}, {"conversationId": "other"},
                       {"sentAt": OLD}, {"attachments": []}):
            refused(await api.put(path, change, session=c.tokens[who]), 119, "A sent message cannot be changed")
    refused(await api.put(path, {"body": "changed"}, master=True), 119)
    refused(await api.put(path, {"isRead": True}, master=True), 119, "only the recipient")
    refused(await api.put(path, {"ACL": {"*": {"read": True}}}, session=c.tokens["provider"]), 119)
    # anyone else does not even see it
    for who in ("p2", "nurse", "doc2", "admin"):
        r = await api.put(path, {"isRead": True}, session=c.tokens[who])
        assert r.status_code in (400, 403, 404) and r.json()["code"] in (101, 119), (who, r.text)
    for who in ("p2", "nurse", "doc2"):
        refused(await api.put(path, {"isRead": True}, session=c.tokens[who]), 101, "Object not found")
    assert await snapshot(core) == before
    # re-sending unchanged values (a whole-object save) is fine
    same = {"body": "I feel better", "from": c.user("p1"), "isRead": False, "status": "sent"}
    assert (await api.put(path, same, session=c.tokens["provider"])).status_code == 200
    assert (await api.put(path, same, master=True)).status_code == 200
    assert (await c.get("Message", oid))["status"] == "sent"


async def test_no_client_deletes_a_message(api: Api) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider")
    for who in ("p1", "provider", "admin"):
        refused(await api.delete(f"/classes/Message/{oid}", session=c.tokens[who]), 119)
    assert (await c.get("Message", oid))["body"] == "hello"


async def test_the_master_key_imports_history_consistently(api: Api) -> None:
    c = await open_clinic(api)
    body = {**c.message("p1", "provider"), "from": c.user("p1"), "sentAt": OLD, "isRead": True}
    r = await api.post("/classes/Message", body, master=True)
    assert r.status_code == 201, r.text
    m = await c.get("Message", r.json()["objectId"])
    assert (m["status"], m["isRead"], m["sentAt"], m["deliveredAt"], m["readAt"]) == ("read", True, OLD, OLD, OLD)
    refused(await api.post("/classes/Message", {**body, "status": "sent"}, master=True), 142,
            "isRead is true exactly when status is read")
