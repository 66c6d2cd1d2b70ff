"""A small clinic through the REST API: one user per seed role, one EHR chart and one
behavioral-health chart, every seed class with an object in it.

Care teams: the physician is the EHR patient's primary clinician; nurse, scribe and provider are
added as members. On the behavioral-health side the patient-role user owns the profile; physician,
nurse and scribe are members and the provider joins through an appointment. ``outsider`` is a
physician on no team. Admin and auditor are on no team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Api

ROLES = ("admin", "physician", "nurse", "scribe", "auditor", "patient", "provider")
DATE = {"__type": "Date", "iso": "2026-01-05T10:00:00.000Z"}
LATER = {"__type": "Date", "iso": "2026-01-05T11:00:00.000Z"}


def slot(n: int, minutes: int = 0) -> dict[str, str]:
    """A time of its own for the n-th object (a provider is never booked twice for one slot)."""
    return {"__type": "Date", "iso": f"2026-02-{1 + n // 24:02d}T{n % 24:02d}:{minutes:02d}:00.000Z"}


def ptr(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


@dataclass
class World:
    api: Api
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> {objectId, sessionToken}
    ids: dict[str, str] = field(default_factory=dict)  # class -> objectId of its sample object
    files: dict[str, str] = field(default_factory=dict)  # who -> name of a file they uploaded
    serial: int = 0

    def token(self, who: str) -> str:
        return self.users[who]["sessionToken"]

    def user(self, who: str) -> dict[str, str]:
        return ptr("_User", self.users[who]["objectId"])

    def ref(self, class_name: str) -> dict[str, str]:
        return ptr(class_name, self.ids[class_name])

    def body(self, class_name: str, actor: str) -> dict[str, Any]:
        """A valid new object of the class, made by ``actor``."""
        self.serial += 1
        n = self.serial
        me = self.user(actor)
        bodies = {
            "Patient": lambda: {"mrn": f"MRN-{n}", "fullName": f"Pat {n}", "dateOfBirth": DATE, "status": "active"},
            "Encounter": lambda: {"patient": self.ref("Patient"), "encounterNumber": f"E-{n}", "type": "outpatient",
                          "startedAt": DATE, "status": "open"},
            "MedicalNote": lambda: {"patient": self.ref("Patient"), "encounter": self.ref("Encounter"), "author": me,
                            "title": f"Note {n}", "noteType": "progress", "currentVersionNumber": 1, "status": "draft"},
            "NoteVersion": lambda: {"medicalNote": self.ref("MedicalNote"), "versionNumber": n, "editor": me,
                            "subjective": "s"},
            "Signature": lambda: {"medicalNote": self.ref("MedicalNote"), "noteVersion": self.ref("NoteVersion"),
                          "signer": self.user("physician"), "signatureRole": "attending", "status": "requested"},
            "Attachment": lambda: {"patient": self.ref("Patient"),
                                   "file": {"__type": "File", "name": self.files.get(actor, f"f{n}.pdf")},
                           "category": "lab", "uploadedBy": self.user("nurse")},
            "AuditEvent": lambda: {"actor": me, "eventType": "view", "timestamp": DATE},
            "PatientProfile": lambda: {"user": self.user("patient"), "medicalRecordNumber": f"BH-{n}",
                               "displayName": f"Profile {n}", "isActive": True},
            "IntakeAssessment": lambda: {"patient": self.ref("PatientProfile"), "assessor": me, "assessmentDate": DATE},
            "CrisisInterventionLog": lambda: {"patient": self.ref("PatientProfile"), "interventionDate": DATE},
            "Message": lambda: {"conversationId": f"c{n}", "from": me,
                        "to": self.user("patient" if actor != "patient" else "provider"),
                        "patient": self.ref("PatientProfile"), "body": "hello", "isRead": False},
            "Appointment": lambda: {"patient": self.ref("PatientProfile"), "provider": self.user("provider"),
                            "startAt": slot(n), "endAt": slot(n, 30), "status": "scheduled"},
            "AuditLog": lambda: {"actor": me, "entityType": "Patient", "entityId": "x", "action": "view", "summary": "s"},
        }
        return bodies[class_name]()

    async def make(self, class_name: str, body: dict[str, Any], *, session: str | None = None) -> str:
        r = await self.api.post(f"/classes/{class_name}", body, session=session, master=session is None)
        assert r.status_code == 201, (class_name, r.text)
        return r.json()["objectId"]

    async def member(self, who: str, root: str) -> None:
        link = "patient" if root == "Patient" else "patientProfile"
        await self.make("CareTeamMember", {link: self.ref(root), "user": self.user(who), "reason": "care"})


async def staff(api: Api, username: str, role: str) -> dict[str, Any]:
    """An account created with the master key (clinical roles are assigned by administrators)."""
    r = await api.post("/users", {"username": username, "password": "Long-enough-pw-1", "role": role},
                       master=True)
    assert r.status_code == 201, r.text
    return r.json()


async def build_world(api: Api) -> World:
    w = World(api)
    for role in ROLES:
        w.users[role] = await staff(api, f"{role}1", role)
    w.users["outsider"] = await staff(api, "outsider1", "physician")
    for who, user in w.users.items():  # a File field takes only a file its writer uploaded (docs/files.md)
        r = await api.client.post("/parse/files/scan.pdf", content=b"%PDF-1.7\n%%EOF\n", headers={
            **api.headers(user["sessionToken"]), "Content-Type": "application/pdf"})
        assert r.status_code == 201, r.text
        w.files[who] = r.json()["name"]
    w.ids["Patient"] = await w.make("Patient", {**w.body("Patient", "admin"), "primaryClinician": w.user("physician")})
    for who in ("nurse", "scribe", "provider"):
        await w.member(who, "Patient")
    w.ids["PatientProfile"] = await w.make("PatientProfile", w.body("PatientProfile", "admin"))
    for who in ("physician", "nurse", "scribe"):
        await w.member(who, "PatientProfile")
    for class_name, actor in (("Encounter", "physician"), ("MedicalNote", "physician"), ("NoteVersion", "physician"),
                              ("Signature", "physician"), ("Attachment", "nurse"), ("AuditEvent", "admin"),
                              ("IntakeAssessment", "physician"), ("CrisisInterventionLog", "physician"),
                              ("Message", "provider"), ("Appointment", "provider"), ("AuditLog", "admin")):
        w.ids[class_name] = await w.make(class_name, w.body(class_name, actor))
    return w
