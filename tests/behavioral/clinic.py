"""A small behavioral-health clinic through the REST API, for the portal tests.

Two patients, A and B, each with a portal account, a profile, an intake assessment (published to
them), a crisis log (shared with them), two appointments and a message thread with their own provider (``provA`` for A, ``provB``
for B — each opened the chart, so is on its care team). ``provC`` is a provider on no team.
``ids[who][class]`` lists the objectIds of each patient's rows; ``people`` holds sessions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Api

PASSWORD = "Long-enough-pw-1"
BH = ("PatientProfile", "IntakeAssessment", "CrisisInterventionLog", "Appointment", "Message")


def ptr(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


@dataclass
class Clinic:
    api: Api
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {objectId, sessionToken}
    ids: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # patient -> class -> ids
    serial: int = 0

    def token(self, who: str) -> str:
        return str(self.people[who]["sessionToken"])

    def uid(self, who: str) -> str:
        return str(self.people[who]["objectId"])

    def user(self, who: str) -> dict[str, str]:
        return ptr("_User", self.uid(who))

    def profile(self, patient: str) -> str:
        return self.ids[patient]["PatientProfile"][0]

    async def make(self, class_name: str, body: dict[str, Any], who: str | None = None) -> str:
        r = await self.api.post(f"/classes/{class_name}", body, session=self.token(who) if who else None,
                                master=who is None)
        assert r.status_code == 201, (class_name, who, r.text)
        return str(r.json()["objectId"])

    async def find(self, who: str | None, class_name: str, **params: Any) -> Any:
        query = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
        return await self.api.get(f"/classes/{class_name}", params=query,
                                  session=self.token(who) if who else None)

    async def call(self, who: str, name: str, **params: Any) -> Any:
        return await self.api.post(f"/functions/{name}", params, session=self.token(who))


async def account(api: Api, username: str, role: str, **fields: Any) -> dict[str, Any]:
    r = await api.post("/users", {"username": username, "password": PASSWORD, "role": role, **fields}, master=True)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def chart(c: Clinic, patient: str, provider: str, n: int) -> None:
    ids: dict[str, list[str]] = {k: [] for k in BH}
    c.ids[patient] = ids
    ids["PatientProfile"].append(await c.make("PatientProfile", {
        "user": c.user(patient), "medicalRecordNumber": f"BH-{n}", "displayName": f"Patient {patient}",
        "isActive": True, "primaryClinic": "Riverside"}, provider))
    on = ptr("PatientProfile", ids["PatientProfile"][0])
    ids["IntakeAssessment"].append(await c.make("IntakeAssessment", {
        "patient": on, "assessor": c.user(provider), "assessmentDate": date("2026-01-05T10:00:00.000Z"),
        "details": f"intake of {patient}", "status": "completed"}, provider))
    published = await c.call(provider, "publishAssessment", assessment=ids["IntakeAssessment"][0])
    assert published.status_code == 200, published.text  # the patient reads it from now on
    ids["CrisisInterventionLog"].append(await c.make("CrisisInterventionLog", {
        "patient": on, "interventionDate": date("2026-01-06T10:00:00.000Z"), "details": f"crisis of {patient}",
        "shareWithPatient": True}, provider))
    for k, start in enumerate(("2026-02-01T09:00:00.000Z", "2026-02-08T09:00:00.000Z")):
        ids["Appointment"].append(await c.make("Appointment", {
            "patient": on, "provider": c.user(provider), "startAt": date(start),
            "endAt": date(start.replace("09:00", "09:50")), "status": "scheduled", "reason": f"visit {k}"}, provider))
    for sender, recipient in ((provider, patient), (patient, provider)):
        ids["Message"].append(await c.make("Message", {
            "conversationId": f"conv-{patient}", "from": c.user(sender), "to": c.user(recipient), "patient": on,
            "body": f"hello from {sender}", "isRead": False}, sender))


async def build(api: Api) -> Clinic:
    c = Clinic(api)
    for name, role in (("admin", "admin"), ("auditor", "auditor"), ("provA", "provider"), ("provB", "provider"),
                       ("provC", "provider"), ("physician", "physician"), ("nurse", "nurse")):
        c.people[name] = await account(api, name, role, displayName=f"{name} demo")
    for name in ("A", "B"):
        c.people[name] = await account(api, f"patient{name}", "patient", email=f"patient{name.lower()}@example.org")
    await chart(c, "A", "provA", 1)
    await chart(c, "B", "provB", 2)
    return c
