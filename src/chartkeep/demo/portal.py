"""The patient portal in the demo: a directory entry for every clinician, patients invited by
their provider who accepted (chose the demo password through their link), a psychotherapy note
opened to one colleague by a grant, and a crisis log under 42 CFR Part 2 — all through the same
Cloud functions and writes an app uses (docs/portal.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chartkeep.accounts import password_reset, tokens
from chartkeep.context import RequestContext
from chartkeep.demo.actors import Actor, create, date, ptr
from chartkeep.demo.clinic import DEMO_PASSWORD, Clinic, Progress
from chartkeep.records import functions

INVITED = 2  # portal patients invited by a provider: invited1, invited2
SPECIALTIES = {"physician": "Psychiatry", "nurse": "Psychiatric nursing", "scribe": "Clinical documentation",
               "provider": "Psychotherapy"}


def units() -> int:
    return INVITED + 2


async def _call(c: Clinic, who: Actor, name: str, **params: Any) -> Any:
    result = await functions.call(c.core, who.ctx, name, params)
    who.ctx.extra.clear()  # one request per call, as over HTTP
    return result["result"]


async def provider_directory(c: Clinic) -> None:
    for role, people in c.staff.items():
        for person in people if role in SPECIALTIES else []:
            await create(c.core, person, "ProviderProfile", {
                "user": person.pointer, "specialty": SPECIALTIES[role], "clinic": "Riverside Behavioral Health",
                "contact": {"phone": f"+1-555-{c.rng.randint(1000, 9999)}"}})


async def invite(c: Clinic, n: int) -> dict[str, Any]:
    """``invitedN`` is invited by a provider and accepts: sets the demo password through the link."""
    provider = c.pick("provider")
    username = f"invited{n}@demo.chartkeep.test"
    made = await _call(c, provider, "invitePatient", email=username, medicalRecordNumber=f"BH-{300000 + n}",
                       displayName=c.name(), primaryClinic="Riverside Behavioral Health",
                       dateOfBirth=date(c.now - timedelta(days=c.rng.randint(18 * 365, 60 * 365))))
    user_id = made["user"]["objectId"]
    async with c.core.db.transaction() as tx:  # the link the invitation mailed, as the patient follows it
        token = await tokens.issue(c.core, tx, provider.ctx, tokens.RESET, user_id, 600)
    await password_reset.reset_password(c.core, RequestContext(c.core.settings.app_id), username, token, DEMO_PASSWORD)
    profile = made["patientProfile"]["objectId"]
    return {"id": profile, "username": username, "provider": provider}


async def psychotherapy_note(c: Clinic) -> None:
    """A psychotherapy note on the first EHR chart, read by its author and one granted colleague."""
    chart = c.patients[0]
    doctor: Actor = chart["doctor"]
    made = await _call(c, doctor, "saveNoteDraft", patient=chart["id"], encounter=chart["encounters"][0],
                       title="Psychotherapy session", noteType="psychotherapy",
                       subjective="Process notes of the session.", assessment="Working alliance improving.")
    colleague = next(p for p in c.staff["physician"] if p.id != doctor.id)
    await create(c.core, doctor, "RecordGrant", {
        "recordClass": "MedicalNote", "recordId": made["note"]["objectId"], "grantee": colleague.pointer,
        "reason": "Covering psychiatrist during leave", "expiresAt": date(c.now + timedelta(days=30))})


async def part2_log(c: Clinic) -> None:
    """A crisis log under 42 CFR Part 2 (substance use): its author and the patient read it."""
    chart = c.profiles[0]
    provider: Actor = chart["provider"]
    await create(c.core, provider, "CrisisInterventionLog", {
        "patient": ptr("PatientProfile", chart["id"]), "interventionDate": date(c.now - timedelta(days=3)),
        "details": "Withdrawal symptoms reported on the crisis line.", "outcome": "Referred to the SUD program",
        "responseAction": "Same-day appointment", "securityLabels": ["42CFR2"]})


async def seed_portal(c: Clinic, progress: Progress) -> list[dict[str, Any]]:
    await provider_directory(c)
    progress("portal: provider directory", 1)
    invited = []
    for n in range(1, INVITED + 1):
        invited.append(await invite(c, n))
        progress("portal: invited patients", 1)
    if c.patients:
        await psychotherapy_note(c)
    if c.profiles:
        await part2_log(c)
    progress("portal: restricted records", 1)
    return invited
