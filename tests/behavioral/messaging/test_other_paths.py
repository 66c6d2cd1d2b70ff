"""The same rules through GraphQL and /batch: nothing but the REST class routes is a way around them."""

from __future__ import annotations

from typing import Any

from tests.behavioral.messaging.clinic import open_clinic, snapshot
from tests.conftest import Api
from tests.graphql_api.conftest import Gql

UPDATE = """mutation($id: ID!, $fields: UpdateMessageFieldsInput) {
  updateMessage(input: {id: $id, fields: $fields}) { message { objectId isRead status } }
}"""


async def test_graphql_receipts_follow_the_rules(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    gql = Gql(api)
    oid = await c.sent("p1", "provider")
    before = await snapshot(core)
    error = await gql.error(UPDATE, {"id": oid, "fields": {"isRead": True}}, session=c.tokens["p1"])
    assert error["extensions"] == {"code": 119} and "only the recipient" in error["message"]
    error = await gql.error(UPDATE, {"id": oid, "fields": {"body": "edited"}}, session=c.tokens["provider"])
    assert error["extensions"] == {"code": 119} and "cannot be changed" in error["message"]
    assert await snapshot(core) == before
    data = await gql.data(UPDATE, {"id": oid, "fields": {"isRead": True}}, session=c.tokens["provider"])
    assert data["updateMessage"]["message"] == {"objectId": oid, "isRead": True, "status": "read"}


async def test_batch_requests_follow_the_rules(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider")
    slot = {"startAt": {"__type": "Date", "iso": "2026-03-02T09:00:00.000Z"},
            "endAt": {"__type": "Date", "iso": "2026-03-02T10:00:00.000Z"}}
    appt = {"patient": c.profile("p1"), "provider": c.user("provider"), "status": "scheduled", **slot}
    before = await snapshot(core)
    r = await api.post("/batch", {"requests": [
        {"method": "PUT", "path": f"/parse/classes/Message/{oid}", "body": {"isRead": True}},
        {"method": "POST", "path": "/parse/classes/Message", "body": {**c.message("p1", "provider"),
                                                                     "from": c.user("nurse")}},
    ]}, session=c.tokens["p1"])
    assert [x["error"]["code"] for x in r.json()] == [119, 119], r.text
    assert await snapshot(core) == before
    r = await api.post("/batch", {"requests": [
        {"method": "POST", "path": "/parse/classes/Appointment", "body": appt},
        {"method": "POST", "path": "/parse/classes/Appointment", "body": appt},
    ]}, session=c.tokens["provider"])
    results = r.json()
    assert "success" in results[0] and results[1]["error"]["code"] == 137, r.text
