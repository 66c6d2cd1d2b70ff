"""A small behavioral-health clinic through the REST API, and the steps the assessment tests share.

Two patients, each with a ``PatientProfile`` opened by the master key. On patient A's care team:
``doc`` (physician) and ``nurse``. ``outsider`` (a physician) and ``provider`` are on no team; patient B (``other``)
has a profile of their own. ``auditor`` reads the ledger through ``AuditLog``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import Api
from tests.policy.world import DATE, ptr, staff

PHQ9_CLASSES = ("IntakeAssessment", "CrisisInterventionLog", "CrisisLogRevision")


@dataclass
class Clinic:
    api: Api
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)  # "a"/"b" -> PatientProfile objectId

    def token(self, who: str) -> str:
        return str(self.users[who]["sessionToken"])

    def uid(self, who: str) -> str:
        return str(self.users[who]["objectId"])

    def user(self, who: str) -> dict[str, str]:
        return ptr("_User", self.uid(who))

    def profile(self, which: str = "a") -> dict[str, str]:
        return ptr("PatientProfile", self.profiles[which])


async def build_clinic(api: Api) -> Clinic:
    c = Clinic(api)
    for who, role in (("doc", "physician"), ("nurse", "nurse"), ("outsider", "physician"), ("provider", "provider"),
                      ("auditor", "auditor"), ("admin", "admin")):
        c.users[who] = await staff(api, f"{who}1", role)
    c.users["patient"] = await api.signup("pat-a")
    c.users["other"] = await api.signup("pat-b")
    for which, who in (("a", "patient"), ("b", "other")):
        r = await api.post("/classes/PatientProfile", {"user": c.user(who), "medicalRecordNumber": f"BH-{which}",
                                                       "displayName": f"Patient {which}", "isActive": True}, master=True)
        assert r.status_code == 201, r.text
        c.profiles[which] = r.json()["objectId"]
    for who in ("doc", "nurse"):
        r = await api.post("/classes/CareTeamMember", {"patientProfile": c.profile("a"), "user": c.user(who),
                                                       "reason": "care"}, master=True)
        assert r.status_code == 201, r.text
    return c


def phq9(answers: Any, **extra: Any) -> dict[str, Any]:
    return {"instrument": "PHQ-9", "answers": answers, **extra}


def gad7(answers: Any) -> dict[str, Any]:
    return {"instrument": "GAD-7", "answers": answers}


def assessment_body(c: Clinic, who: str = "doc", **fields: Any) -> dict[str, Any]:
    return {"patient": c.profile("a"), "assessor": c.user(who), "assessmentDate": DATE, **fields}


async def create(c: Clinic, class_name: str, body: dict[str, Any], who: str = "doc") -> dict[str, Any]:
    r = await c.api.post(f"/classes/{class_name}", body, session=c.token(who))
    assert r.status_code == 201, r.text
    return await stored(c, class_name, r.json()["objectId"])


async def assess(c: Clinic, who: str = "doc", **fields: Any) -> dict[str, Any]:
    return await create(c, "IntakeAssessment", assessment_body(c, who, **fields), who)


async def stored(c: Clinic, class_name: str, oid: str) -> dict[str, Any]:
    r = await c.api.get(f"/classes/{class_name}/{oid}", master=True)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def find(c: Clinic, class_name: str, where: dict[str, Any] | None = None, who: str | None = None,
               **params: str) -> list[dict[str, Any]]:
    query = {"where": json.dumps(where or {}), **params}
    r = await c.api.get(f"/classes/{class_name}", params=query, session=c.token(who) if who else None,
                        master=who is None)
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


async def call(c: Clinic, name: str, params: dict[str, Any], who: str) -> httpx.Response:
    return await c.api.post(f"/functions/{name}", params, session=c.token(who))


async def ok(c: Clinic, name: str, params: dict[str, Any], who: str) -> dict[str, Any]:
    r = await call(c, name, params, who)
    assert r.status_code == 200, (name, r.text)
    return dict(r.json()["result"])


def refused(r: httpx.Response, code: int, message: str | None = None) -> None:
    assert r.status_code in (400, 403, 404), r.text
    body = r.json()
    assert body["code"] == code, body
    if message is not None:
        assert body["error"] == message, body


async def snapshot(core: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the assessment classes, to assert that a refused request changed nothing."""
    out = {}
    async with core.db.read() as conn:
        for name in PHQ9_CLASSES:
            out[name] = [tuple(r) for r in await conn.fetch(f'SELECT * FROM "{name}" ORDER BY "objectId"')]
    return out


async def ledger(c: Clinic, where: dict[str, Any]) -> list[dict[str, Any]]:
    """AuditLog rows (the ledger's behavioral-health view), oldest first, read by the auditor."""
    return await find(c, "AuditLog", where, who="auditor", order="seq")


async def subscribed(server: Any, c: Clinic, where: dict[str, Any]) -> dict[str, Any]:
    """LiveQuery clients of the doctor, the patient, an outsider and another patient, each
    subscribed to the chart's crisis logs (request 1) and assessments (request 2)."""
    clients = {}
    for who in ("doc", "patient", "outsider", "other"):
        clients[who] = await server.user_client(c.token(who))
        await clients[who].subscribe(1, "CrisisInterventionLog", where)
        await clients[who].subscribe(2, "IntakeAssessment", where)
    return clients
