"""A patient never reads another patient's anything; a provider reads only the patients assigned to
them — on every behavioral-health class, with every query operator, include, keys, order and count.

Each caller's expected rows are written down from how the clinic was built (``clinic.py``),
never asked of Chartkeep.
"""

from __future__ import annotations

from typing import Any

from tests.behavioral.clinic import BH, Clinic, build, ptr
from tests.conftest import Api

NO_CLASS_ACCESS = ("CareTeamMember", "BreakGlassAccess", "AuditLog", "AuditEvent", "Patient", "Encounter",
                   "MedicalNote", "NoteVersion", "Signature", "Attachment")


def _ids(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    return {o["objectId"] for o in r.json()["results"]}


def _shapes(c: Clinic, class_name: str) -> list[dict[str, Any]]:
    """``where`` clauses that, for a caller who may read rows R of the class, must return exactly R."""
    every = [i for p in ("A", "B") for i in c.ids[p][class_name]]
    others_ids = {"$in": every}
    shapes: list[dict[str, Any]] = [
        {}, {"objectId": others_ids}, {"objectId": {"$ne": "nothing"}}, {"objectId": {"$nin": ["nothing"]}},
        {"objectId": {"$exists": True}}, {"objectId": {"$regex": "^[A-Za-z0-9]"}},
        {"$or": [{"objectId": every[0]}, {"objectId": {"$in": every[1:]}}]},
        {"$and": [{"objectId": others_ids}, {"createdAt": {"$exists": True}}]},
        {"objectId": {"$select": {"query": {"className": class_name, "where": {}}, "key": "objectId"}}},
        {"objectId": {"$dontSelect": {"query": {"className": class_name, "where": {"objectId": "x"}}, "key": "objectId"}}},
    ]
    if class_name != "PatientProfile":
        shapes += [
            {"patient": {"$inQuery": {"className": "PatientProfile", "where": {}}}},
            {"patient": {"$in": [ptr("PatientProfile", c.profile(p)) for p in ("A", "B")]}},
            {"patient": {"$exists": True}},
            {"patient": {"$notInQuery": {"className": "PatientProfile", "where": {"objectId": "x"}}}},
        ]
    return shapes


async def _sees_exactly(c: Clinic, who: str, class_name: str, expected: set[str]) -> None:
    for where in _shapes(c, class_name):
        r = await c.find(who, class_name, where=where, count=1)
        assert _ids(r) == expected, (who, class_name, where)
        assert r.json()["count"] == len(expected), (who, class_name, where)
        r = await c.find(who, class_name, where=where, count=1, limit=0)
        assert r.json() == {"results": [], "count": len(expected)}, (who, class_name, where)
    for order in ("-createdAt", "objectId", "updatedAt"):
        assert _ids(await c.find(who, class_name, order=order, keys="objectId")) == expected
    if class_name != "PatientProfile":
        r = await c.find(who, class_name, include="patient")
        assert _ids(r) == expected
        for obj in r.json()["results"]:
            assert obj["patient"]["objectId"] in {c.profile(p) for p in ("A", "B")}
            assert obj["patient"].get("__type") == "Object", obj  # the caller's own chart's profile
    for patient in ("A", "B"):
        for object_id in c.ids[patient][class_name]:
            r = await c.api.get(f"/classes/{class_name}/{object_id}", session=c.token(who))
            if object_id in expected:
                assert r.status_code == 200, r.text
            else:
                assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."}), r.text


async def test_a_patient_reads_only_their_own_records(api: Api) -> None:
    c = await build(api)
    for class_name in BH:
        await _sees_exactly(c, "A", class_name, set(c.ids["A"][class_name]))
        await _sees_exactly(c, "B", class_name, set(c.ids["B"][class_name]))
    # another patient's profile named outright: nothing, and nothing through it
    for class_name in BH[1:]:
        r = await c.find("A", class_name, where={"patient": ptr("PatientProfile", c.profile("B"))}, count=1)
        assert r.json() == {"results": [], "count": 0}
    r = await c.find("A", "PatientProfile", where={"user": c.user("B")}, count=1)
    assert r.json() == {"results": [], "count": 0}
    r = await c.find("A", "PatientProfile", where={"displayName": {"$regex": "B$"}}, count=1)
    assert r.json() == {"results": [], "count": 0}
    # another patient's account
    r = await api.get(f"/users/{c.uid('B')}", session=c.token("A"))
    assert r.json() == {"code": 101, "error": "Object not found."}
    r = await api.get("/users", session=c.token("A"))
    assert {u["objectId"] for u in r.json()["results"]} == {c.uid("A")}
    # a message's people, included: the patient themselves; a staff account is not theirs to read
    r = await c.find("A", "Message", include="from,to")
    people = [m.get(k) for m in r.json()["results"] for k in ("from", "to")]
    assert [p["objectId"] for p in people if p] == [c.uid("A")] * 2
    assert all(p is None or p["__type"] == "Object" for p in people)
    # classes a patient has no business in at all
    for class_name in NO_CLASS_ACCESS:
        r = await c.find("A", class_name)
        assert r.status_code == 400 and r.json()["code"] == 119, (class_name, r.text)
    r = await c.find("A", "RecordGrant", count=1)
    assert r.json() == {"results": [], "count": 0}


async def test_only_assigned_providers_read_a_chart(api: Api) -> None:
    c = await build(api)
    for class_name in BH:
        mine = set(c.ids["A"][class_name])
        await _sees_exactly(c, "provA", class_name, mine)
        await _sees_exactly(c, "provB", class_name, set(c.ids["B"][class_name]))
        await _sees_exactly(c, "provC", class_name, set())
    # provC joins A's care team through an appointment: A's chart opens, B's stays shut
    await c.make("Appointment", {"patient": ptr("PatientProfile", c.profile("A")), "provider": c.user("provC"),
                                 "startAt": {"__type": "Date", "iso": "2026-03-01T09:00:00.000Z"},
                                 "endAt": {"__type": "Date", "iso": "2026-03-01T09:50:00.000Z"},
                                 "status": "scheduled"}, "provA")
    r = await c.find("provC", "IntakeAssessment", count=1)
    assert _ids(r) == set(c.ids["A"]["IntakeAssessment"]) and r.json()["count"] == 1
    r = await c.find("provC", "PatientProfile", where={"objectId": c.profile("B")}, count=1)
    assert r.json() == {"results": [], "count": 0}
    # messages stay between their two people, care team or not
    assert _ids(await c.find("provC", "Message")) == set()


async def test_a_patient_cannot_write_into_another_chart(api: Api, core: Any) -> None:
    c = await build(api)
    before = {k: await _count(core, k) for k in BH}
    on_b = ptr("PatientProfile", c.profile("B"))
    r = await api.post("/classes/Appointment", {"patient": on_b, "provider": c.user("provB"), "status": "scheduled",
                                                "startAt": {"__type": "Date", "iso": "2026-03-01T09:00:00.000Z"},
                                                "endAt": {"__type": "Date", "iso": "2026-03-01T10:00:00.000Z"}},
                       session=c.token("A"))
    assert r.json()["code"] == 119
    for class_name in BH:
        object_id = c.ids["B"][class_name][0]
        r = await api.put(f"/classes/{class_name}/{object_id}", {"isRead": True} if class_name == "Message" else
                          {"details": "x"} if class_name != "PatientProfile" else {"displayName": "x"},
                          session=c.token("A"))
        assert r.json()["code"] in (101, 119), (class_name, r.text)
    assert {k: await _count(core, k) for k in BH} == before


async def _count(core: Any, table: str) -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
