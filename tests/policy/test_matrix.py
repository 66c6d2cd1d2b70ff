"""The access matrix: every seed role × every seed class × get/find/count/create/update/delete,
through the REST API, against the shipped policy (class-level permissions + care-team ACLs).

The expected table is written out by hand from docs/security.md — not derived from the policy
file — so a change to either shows up here. A denied request must leave the data as it was.
"""

from __future__ import annotations

import json

from tests.conftest import Api, row_count
from tests.policy.world import ROLES, World, build_world

ALL = set(ROLES)
TEAM = {"physician", "nurse", "scribe", "provider"}  # clinicians, all on both care teams here
REGISTRARS = {"physician", "nurse", "provider", "admin"}

EXPECTED: dict[str, dict[str, set[str]]] = {
    "Patient": {"read": TEAM | {"admin"}, "create": REGISTRARS, "update": TEAM | {"admin"}, "delete": set()},
    "Encounter": {"read": TEAM | {"admin"}, "create": REGISTRARS, "update": TEAM | {"admin"}, "delete": set()},
    # the note workflow: a draft is written by its author (here the physician; a physician also
    # supervises non-physician authors), who requests signatures; only the signer signs
    "MedicalNote": {"read": TEAM | {"admin"}, "create": TEAM, "update": {"physician"}, "delete": set()},
    "NoteVersion": {"read": TEAM | {"admin"}, "create": {"physician"}, "update": set(), "delete": set()},
    "Signature": {"read": TEAM | {"admin"}, "create": {"physician"}, "update": {"physician"}, "delete": set()},
    "Attachment": {"read": TEAM | {"admin"}, "create": TEAM, "update": {"nurse"}, "delete": set()},
    "AuditEvent": {"read": {"auditor", "admin"}, "create": ALL, "update": set(), "delete": set()},
    "PatientProfile": {"read": TEAM | {"admin", "patient"}, "create": REGISTRARS, "update": TEAM | {"admin"},
                       "delete": set()},
    # the patient reads an assessment once published, a crisis log once shared (docs/assessments.md);
    # the world's are neither
    "IntakeAssessment": {"read": TEAM | {"admin"}, "create": TEAM, "update": TEAM, "delete": set()},
    "CrisisInterventionLog": {"read": TEAM | {"admin"}, "create": TEAM, "update": TEAM, "delete": set()},
    # a sent message never changes (only its recipient advances the receipt: tests/behavioral/messaging)
    "Message": {"read": {"provider", "patient"}, "create": TEAM | {"patient"}, "update": set(), "delete": set()},
    # the patient may confirm or cancel their appointment, nothing else (here: the location)
    "Appointment": {"read": TEAM | {"admin", "patient"}, "create": TEAM | {"admin"}, "update": TEAM | {"admin"},
                    "delete": set()},
    "AuditLog": {"read": {"auditor", "admin"}, "create": ALL, "update": set(), "delete": set()},
}
CHANGE = {
    "Patient": "sexAtBirth", "Encounter": "department", "MedicalNote": "title", "NoteVersion": "changeSummary",
    "Signature": "comment", "Attachment": "category", "AuditEvent": "details", "PatientProfile": "primaryClinic",
    "IntakeAssessment": "details", "CrisisInterventionLog": "outcome", "Message": "body", "Appointment": "location",
    "AuditLog": "summary",
}


def _denied(r) -> bool:  # type: ignore[no-untyped-def]
    assert r.status_code < 500, r.text
    if r.status_code in (200, 201):
        return False
    assert r.json()["code"] in (101, 119), r.text
    return True


async def _reads(w: World, class_name: str, role: str) -> dict[str, bool]:
    api, token, oid = w.api, w.token(role), w.ids[class_name]
    path = f"/classes/{class_name}"
    got = await api.get(f"{path}/{oid}", session=token)
    where = json.dumps({"objectId": {"$in": [oid]}})
    found = await api.get(path, params={"where": where}, session=token)
    counted = await api.get(path, params={"where": where, "count": "1", "limit": "0"}, session=token)
    return {
        "get": not _denied(got),
        "find": not _denied(found) and [o["objectId"] for o in found.json()["results"]] == [oid],
        "count": not _denied(counted) and counted.json()["count"] == 1,
    }


WORKFLOW = ("MedicalNote", "NoteVersion", "Signature")


async def _fresh_draft(w: World) -> None:
    """The world's note is under review (it has a signature request), where nobody edits it. Writes
    of the note classes are checked against a fresh draft by the physician with one version, so
    the table shows who may write a draft (docs/clinical.md), not the state of one note."""
    w.ids["MedicalNote"] = await w.make("MedicalNote", w.body("MedicalNote", "physician"))
    w.ids["NoteVersion"] = await w.make("NoteVersion", w.body("NoteVersion", "physician"))


async def _create(w: World, core, class_name: str, role: str) -> bool:  # type: ignore[no-untyped-def]
    if class_name in WORKFLOW:
        await _fresh_draft(w)
    before = await row_count(core, class_name)
    r = await w.api.post(f"/classes/{class_name}", w.body(class_name, role), session=w.token(role))
    if _denied(r):
        assert await row_count(core, class_name) == before, (class_name, role, "a refused create wrote a row")
        return False
    return True


async def _update(w: World, class_name: str, role: str) -> bool:
    if class_name == "MedicalNote":
        await _fresh_draft(w)
    field, oid = CHANGE[class_name], w.ids[class_name]
    path = f"/classes/{class_name}/{oid}"
    value = f"by-{role}"
    r = await w.api.put(path, {field: value}, session=w.token(role))
    if _denied(r):
        stored = (await w.api.get(path, master=True)).json()
        assert stored.get(field) != value, (class_name, role, "a refused update changed the object")
        return False
    return True


async def _delete(w: World, class_name: str, role: str) -> bool:
    path = f"/classes/{class_name}/{w.ids[class_name]}"
    r = await w.api.delete(path, session=w.token(role))
    if _denied(r):
        assert (await w.api.get(path, master=True)).status_code == 200, (class_name, role, "deleted anyway")
        return False
    return True


async def _observed(w: World, core, class_name: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    got: dict[str, set[str]] = {op: set() for op in ("get", "find", "count", "create", "update", "delete")}
    for role in ROLES:
        for op, ok in (await _reads(w, class_name, role)).items():
            if ok:
                got[op].add(role)
        if await _create(w, core, class_name, role):
            got["create"].add(role)
        if await _update(w, class_name, role):
            got["update"].add(role)
        if await _delete(w, class_name, role):
            got["delete"].add(role)
    return {op: sorted(roles) for op, roles in got.items()}


def _expected(class_name: str) -> dict[str, list[str]]:
    want = EXPECTED[class_name]
    table = {"get": want["read"], "find": want["read"], "count": want["read"],
             "create": want["create"], "update": want["update"], "delete": want["delete"]}
    return {op: sorted(roles) for op, roles in table.items()}


async def test_access_matrix(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """One clinic, every class: the whole observed table must equal the expected one."""
    w = await build_world(api)
    observed = {class_name: await _observed(w, core, class_name) for class_name in sorted(EXPECTED)}
    assert observed == {class_name: _expected(class_name) for class_name in sorted(EXPECTED)}


async def test_outsider_clinician_sees_nothing_of_the_chart(api: Api) -> None:
    w = await build_world(api)
    token = w.token("outsider")
    for class_name in EXPECTED:
        if class_name in ("AuditEvent", "AuditLog"):
            continue
        r = await api.get(f"/classes/{class_name}/{w.ids[class_name]}", session=token)
        assert (r.status_code, r.json()["code"]) == (404, 101), class_name
        r = await api.get(f"/classes/{class_name}", params={"count": "1"}, session=token)
        assert r.json() == {"results": [], "count": 0}, class_name
    r = await api.post("/classes/Encounter", w.body("Encounter", "outsider"), session=token)
    assert r.json() == {"code": 119, "error": "Permission denied: you are not on this patient's care team."}
