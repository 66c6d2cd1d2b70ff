"""Notes in every state of the workflow, written through the same Cloud functions an app calls:
drafts, notes under review, signed notes (some co-signed by an attending), declined-and-revised
notes, amended notes and addenda."""

from __future__ import annotations

from typing import Any

from chartkeep.demo import people
from chartkeep.demo.actors import Actor, create, master, ptr, refresh
from chartkeep.demo.clinic import Clinic
from chartkeep.files import store
from chartkeep.records import functions

# how a note's story ends, in rotation over the demo's notes
STORIES = ["signed", "draft", "signed", "under_review", "cosigned", "amended", "declined", "addendum"]


async def _call(c: Clinic, who: Actor, name: str, **params: Any) -> dict[str, Any]:
    result = await functions.call(c.core, who.ctx, name, params)
    who.ctx.extra.clear()  # one request per call, as over HTTP
    return result["result"]


async def write_notes(c: Clinic, chart: dict[str, Any], serial: int) -> None:
    doctor: Actor = chart["doctor"]
    for k, encounter in enumerate(chart["encounters"]):
        story = STORIES[(serial + k) % len(STORIES)]
        await write_note(c, chart, doctor, encounter, story)
    if serial % 2:
        await attach(c, chart, doctor, serial)


async def attach(c: Clinic, chart: dict[str, Any], who: Actor, serial: int) -> None:
    """A lab report uploaded (encrypted at rest) and attached to the chart's first encounter."""
    text = (f"Riverside Clinical Lab\nPatient chart {chart['id']}\nHbA1c: {c.rng.uniform(5.2, 9.1):.1f} %\n"
            f"Creatinine: {c.rng.uniform(0.6, 1.4):.2f} mg/dL\n").encode()
    stored = await store.upload(c.core, who.ctx, f"lab-report-{serial}.txt", text, "text/plain")
    await create(c.core, who, "Attachment", {
        "patient": ptr("Patient", chart["id"]), "encounter": ptr("Encounter", chart["encounters"][0]),
        "file": {"__type": "File", "name": stored["name"]}, "category": "lab", "uploadedBy": who.pointer})


async def write_note(c: Clinic, chart: dict[str, Any], doctor: Actor, encounter: str, story: str) -> None:
    subjective, objective, assessment, plan = c.rng.choice(people.COMPLAINTS)
    made = await _call(c, doctor, "saveNoteDraft", patient=chart["id"], encounter=encounter,
                       title=f"{assessment.capitalize()}", noteType=c.rng.choice(["progress", "admission", "consult"]),
                       requiresCosign=story == "cosigned", subjective=subjective, objective=objective)
    note = made["note"]["objectId"]
    await _call(c, doctor, "saveNoteDraft", note=note, subjective=subjective, objective=objective,
                assessment=assessment, plan=plan, changeSummary="assessment and plan added")
    if story == "draft":
        return
    signers = [{"signer": doctor.id, "role": "author"}]
    attending = None
    if story == "cosigned":
        attending = next(p for p in c.staff["physician"] if p.id != doctor.id)
        await _join_team(c, chart, attending)
        signers.append({"signer": attending.id, "role": "attending"})
    await _call(c, doctor, "requestSignatures", note=note, signers=signers)
    if story == "under_review":
        return
    if story == "declined":
        await _call(c, doctor, "declineSignature", note=note, comment="Plan needs the renal function result.")
        await _call(c, doctor, "saveNoteDraft", note=note, plan=f"{plan}; check creatinine first",
                    changeSummary="plan revised after review")
        await _call(c, doctor, "requestSignatures", note=note, signers=signers)
    await _call(c, doctor, "signNote", note=note)
    if attending is not None:
        await _call(c, attending, "signNote", note=note)
    if story == "amended":
        await _call(c, doctor, "amendNote", note=note, amendmentReason="Allergy list corrected after pharmacy call.",
                    assessment=f"{assessment}; penicillin allergy confirmed")
    elif story == "addendum":
        await _call(c, doctor, "amendNote", note=note, amendmentReason="Lab results arrived.", isAddendum=True,
                    content="Addendum: troponin negative x2.")


async def _join_team(c: Clinic, chart: dict[str, Any], member: Actor) -> None:
    if member.id in chart.setdefault("team", set()):
        return
    await create(c.core, master(c.core), "CareTeamMember", {"patient": ptr("Patient", chart["id"]),
                                                            "user": member.pointer,
                                                            "reason": "attending co-signature"})
    chart["team"].add(member.id)
    await refresh(c.core, member)
