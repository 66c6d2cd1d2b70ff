"""Another patient, or a clinician not assigned to the patient, sees none of a patient's messages
and appointments — whatever the read (get, find, count, include, every operator)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.behavioral.messaging.clinic import BH, open_clinic
from tests.conftest import Api

SLOT = ({"__type": "Date", "iso": "2026-03-02T09:00:00.000Z"}, {"__type": "Date", "iso": "2026-03-02T10:00:00.000Z"})


def _wheres(c: BH, class_name: str, oid: str) -> list[dict[str, Any]]:
    profile = c.profile("p1")
    common: list[dict[str, Any]] = [
        {}, {"objectId": oid}, {"objectId": {"$in": [oid]}}, {"objectId": {"$ne": "x"}},
        {"patient": profile}, {"patient": {"$in": [profile]}}, {"patient": {"$exists": True}},
        {"$or": [{"objectId": oid}, {"patient": profile}]}, {"$and": [{"patient": profile}]},
        {"$nor": [{"objectId": "x"}]}, {"createdAt": {"$gt": {"__type": "Date", "iso": "2000-01-01T00:00:00.000Z"}}},
        {"patient": {"$inQuery": {"where": {"objectId": c.profiles["p1"]}, "className": "PatientProfile"}}},
        {"patient": {"$notInQuery": {"where": {"objectId": "x"}, "className": "PatientProfile"}}},
        {"objectId": {"$select": {"query": {"className": class_name, "where": {}}, "key": "objectId"}}},
    ]
    if class_name == "Message":
        return [*common, {"body": {"$regex": "sleep"}}, {"conversationId": "c1"}, {"isRead": False},
                {"to": c.user("provider")}, {"from": c.user("p1")}, {"body": {"$exists": True}},
                {"conversationId": {"$in": ["c1"]}}, {"body": {"$regex": "^I ", "$options": "i"}}]
    return [*common, {"status": "scheduled"}, {"provider": c.user("provider")}, {"reason": {"$regex": "^fol"}},
            {"startAt": {"$lte": SLOT[0]}}]


async def _sees(c: BH, who: str, class_name: str, oid: str) -> list[str]:
    """Which reads return the object (or a count of it) to ``who``."""
    api, token, path = c.api, c.tokens[who], f"/classes/{class_name}"
    seen = []
    r = await api.get(f"{path}/{oid}", session=token)
    if r.status_code == 200:
        seen.append("get")
    else:
        assert r.json()["code"] in (101, 119), r.text
    for where in _wheres(c, class_name, oid):
        for extra in ({}, {"include": "patient,to,from,provider"}, {"count": "1", "limit": "0"}):
            r = await api.get(path, params={"where": json.dumps(where), **extra}, session=token)
            assert r.status_code == 200, (where, r.text)  # a valid query: answered, never refused
            body = r.json()
            if body["results"] or body.get("count"):
                seen.append(f"find {json.dumps(where)} {extra}")
    return seen


@pytest.mark.parametrize("class_name", ["Message", "Appointment"])
async def test_outsiders_see_nothing(api: Api, class_name: str) -> None:
    c = await open_clinic(api)
    if class_name == "Message":
        oid = await c.sent("p1", "provider", body="I sleep better")
    else:
        r = await api.post("/classes/Appointment", {"patient": c.profile("p1"), "provider": c.user("provider"),
                                                    "startAt": SLOT[0], "endAt": SLOT[1], "status": "scheduled",
                                                    "reason": "follow-up"}, session=c.tokens["provider"])
        assert r.status_code == 201, r.text
        oid = r.json()["objectId"]
    assert "get" in await _sees(c, "p1", class_name, oid)  # the owner does see it: the reads are real
    assert len(await _sees(c, "provider", class_name, oid)) > 10
    for who in ("p2", "doc2"):
        assert await _sees(c, who, class_name, oid) == [], who


async def test_a_message_is_seen_by_its_two_people_only(api: Api) -> None:
    c = await open_clinic(api)
    oid = await c.sent("p1", "provider", body="I sleep better")
    assert await _sees(c, "nurse", "Message", oid) == []  # on the team, but not a participant
    r = await api.get("/classes/Message", params={"where": "{}", "include": "patient,from,to"}, session=c.tokens["p1"])
    got = r.json()["results"]
    assert [m["objectId"] for m in got] == [oid]
    assert got[0]["patient"]["medicalRecordNumber"] == "BH-p1" and got[0]["from"]["username"] == "p1-m"
