"""The demo clinic: staff, EHR charts, behavioral-health charts — built step by step through the
services, each step reported to a progress callback."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chartkeep.behavioral.assessment_functions import publish_assessment
from chartkeep.core.handles import Core
from chartkeep.demo import people
from chartkeep.demo.actors import Actor, account, create, date, master, ptr, refresh
from chartkeep.errors import Code, ParseError
from chartkeep.records import writes

DEMO_PASSWORD = "Demo-pass-2026"
STAFF = [("admin", "admin", 1), ("auditor", "auditor", 1), ("physician", "physician", 4), ("nurse", "nurse", 3),
         ("scribe", "scribe", 2), ("provider", "provider", 3)]

Progress = Callable[[str, int], None]  # (what, units done)


@dataclass
class Clinic:
    core: Core
    rng: random.Random
    now: datetime
    staff: dict[str, list[Actor]] = field(default_factory=dict)
    patients: list[dict[str, Any]] = field(default_factory=list)  # EHR charts
    profiles: list[dict[str, Any]] = field(default_factory=list)  # behavioral-health charts

    def pick(self, role: str) -> Actor:
        return self.rng.choice(self.staff[role])

    def name(self) -> str:
        return f"{self.rng.choice(people.FIRST)} {self.rng.choice(people.LAST)}"


async def make_staff(c: Clinic, progress: Progress) -> None:
    for role, prefix, count in STAFF:
        for i in range(1, count + 1):
            username = prefix if count == 1 else f"{prefix}{i}"
            title = "Dr. " if role == "physician" else ""
            actor = await account(c.core, username, DEMO_PASSWORD, role, f"{title}{c.name()}",
                                  licenseNumber=f"LIC-{c.rng.randint(100000, 999999)}" if role == "physician" else None)
            c.staff.setdefault(role, []).append(actor)
            progress("staff", 1)


async def make_ehr_chart(c: Clinic, n: int) -> dict[str, Any]:
    doctor = c.pick("physician")
    born = c.now - timedelta(days=c.rng.randint(18 * 365, 90 * 365))
    body = {"mrn": f"MRN-{100000 + n}", "fullName": c.name(), "dateOfBirth": date(born),
            "sexAtBirth": c.rng.choice(["female", "male"]), "status": "active",
            "allergies": c.rng.sample(people.ALLERGIES, c.rng.randint(0, 2)), "primaryClinician": doctor.pointer,
            "contact": {"phone": f"+1-555-{c.rng.randint(1000, 9999)}"}}
    patient_id = await create(c.core, master(c.core), "Patient", body)
    chart: dict[str, Any] = {"id": patient_id, "doctor": doctor, "encounters": []}
    await refresh(c.core, doctor)
    for k in range(c.rng.randint(1, 3)):
        started = c.now - timedelta(days=c.rng.randint(1, 400), hours=c.rng.randint(0, 8))
        closed = k > 0 or c.rng.random() < 0.5
        enc = {"patient": ptr("Patient", patient_id), "encounterNumber": f"ENC-{100000 + n}-{k + 1}",
               "type": c.rng.choice(["outpatient", "inpatient", "emergency", "telehealth"]),
               "department": c.rng.choice(people.DEPARTMENTS), "location": c.rng.choice(people.LOCATIONS),
               "admittingClinician": doctor.pointer, "startedAt": date(started),
               "status": "closed" if closed else "open"}
        if closed:
            enc["endedAt"] = date(started + timedelta(hours=c.rng.randint(1, 72)))
        chart["encounters"].append(await create(c.core, doctor, "Encounter", enc))
    c.patients.append(chart)
    return chart


async def _book(c: Clinic, body: dict[str, Any], start: datetime) -> None:
    """An appointment at ``start``, or the next free hour: a provider is never double-booked."""
    for _ in range(48):
        try:
            await create(c.core, master(c.core), "Appointment", {
                **body, "startAt": date(start), "endAt": date(start + timedelta(minutes=50))})
            return
        except ParseError as exc:
            if exc.code != Code.DUPLICATE_VALUE:
                raise
            start += timedelta(hours=1)
    raise RuntimeError("no free slot for a demo appointment")


async def _assess(c: Clinic, n: int, provider: Actor, profile_id: str) -> None:
    """A PHQ-9 (scored by the server; every fourth patient screens positive on item 9, which opens
    a crisis log), for some a GAD-7; most are published to the patient's portal."""
    phq9 = [c.rng.randint(0, 3) for _ in range(8)] + [1 if n % 4 == 0 else 0]
    instruments = [("PHQ-9", phq9)] + ([("GAD-7", [c.rng.randint(0, 3) for _ in range(7)])] if n % 2 else [])
    for instrument, answers in instruments:
        oid = await create(c.core, provider, "IntakeAssessment", {
            "patient": ptr("PatientProfile", profile_id), "assessor": provider.pointer,
            "assessmentDate": date(c.now - timedelta(days=c.rng.randint(10, 60))),
            "details": "Initial intake: mood, sleep, appetite, safety screen.",
            "recommendations": c.rng.choice(people.BH_RECOMMENDATIONS),
            "data": {"instrument": instrument, "answers": answers}, "status": "completed"})
        if n % 3:
            await publish_assessment(c.core, provider.ctx, {"assessment": oid})


async def make_bh_chart(c: Clinic, n: int) -> dict[str, Any]:
    display = c.name()
    person = await account(c.core, f"patient{n}", DEMO_PASSWORD, "patient", display)
    provider = c.pick("provider")
    profile = {"user": person.pointer, "medicalRecordNumber": f"BH-{200000 + n}", "displayName": display,
               "dateOfBirth": date(c.now - timedelta(days=c.rng.randint(16 * 365, 70 * 365))),
               "primaryClinic": "Riverside Behavioral Health", "isActive": True}
    profile_id = await create(c.core, master(c.core), "PatientProfile", profile)
    chart = {"id": profile_id, "patient": person, "provider": provider}
    for _k in range(c.rng.randint(2, 4)):
        start = c.now + timedelta(days=c.rng.randint(-60, 30), hours=c.rng.randint(0, 6))
        start = start.replace(minute=0, second=0, microsecond=0)
        past = start < c.now
        status = c.rng.choice(["completed", "completed", "no-show", "cancelled"]) if past else \
            c.rng.choice(["scheduled", "confirmed"])
        await _book(c, {"patient": ptr("PatientProfile", profile_id), "provider": provider.pointer,
                        "location": c.rng.choice(["Room 4", "Telehealth"]), "status": status,
                        "reason": c.rng.choice(people.BH_REASONS)}, start)
    await refresh(c.core, provider)
    await _assess(c, n, provider, profile_id)
    conversation = f"conv-{profile_id}"
    for i, (sender, recipient, text) in enumerate([
        (provider, person, "Hello, this is your care team. How have you been since our last session?"),
        (person, provider, "Better this week, sleeping a little more."),
        (provider, person, "Good to hear. See you at the next appointment."),
    ]):
        sent = await create(c.core, sender, "Message", {
            "conversationId": conversation, "from": sender.pointer, "to": recipient.pointer,
            "patient": ptr("PatientProfile", profile_id), "body": text, "isRead": False})
        if i < 2:  # the recipient has read it (receipts are the recipient's: docs/messaging.md)
            await writes.update(c.core, recipient.ctx, "Message", sent, {"isRead": True})
    c.profiles.append(chart)
    return chart
