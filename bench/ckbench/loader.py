"""Load the same data set into a server through its Parse REST API.

Clinicians are created with the master key (``POST /users``) and then log in like any SDK user.
Chart data goes in through ``/batch`` (50 requests each) with the master key, every object carrying
an ACL that gives its clinician read/write, so the measured workload (run with the clinicians'
session tokens) sees the data as an app would.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ckbench.client import Api, acl_for, date, pointer

PASSWORD = "correct-horse-battery-staple"
BATCH = 50


@dataclass
class Clinician:
    object_id: str
    username: str
    token: str = ""
    patients: list[int] = field(default_factory=list)


@dataclass
class Patient:
    object_id: str
    clinician: int
    encounters: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    clinicians: list[Clinician] = field(default_factory=list)
    patients: list[Patient] = field(default_factory=list)
    # (medicalNote, noteVersion, clinician index) of loaded notes: what the `sign` operation signs
    notes: list[tuple[str, str, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # resources one patient's ``Patient/$everything`` returns (0: not checked)
    everything_resources: int = 0


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(datetime.now(UTC))


async def create_clinicians(api: Api, count: int, prefix: str = "clin") -> list[Clinician]:
    out = []
    for i in range(count):
        username = f"{prefix}{i:04d}"
        body = {
            "username": username,
            "password": PASSWORD,
            "email": f"{username}@bench.example",
            "role": "physician",
            "displayName": f"Dr. Bench {i}",
            "licenseNumber": f"LIC-{i:06d}",
        }
        made = await api.call("POST", "/users", body, master=True)
        out.append(Clinician(made["objectId"], username))
    await asyncio.gather(*(login(api, c) for c in out))
    return out


async def login(api: Api, clinician: Clinician) -> str:
    found = await api.call("POST", "/login", {"username": clinician.username, "password": PASSWORD})
    clinician.token = found["sessionToken"]
    return clinician.token


async def _batched(
    api: Api, path: str, bodies: list[dict[str, Any]], parallel: int, progress: Callable[[int], None] | None
) -> list[str]:
    """POST every body to ``path`` via /batch (master key); returns the objectIds in order."""
    reqs = [{"method": "POST", "path": "/parse" + path, "body": b} for b in bodies]
    answers = await _batch_requests(api, reqs, parallel, progress)
    return [a["objectId"] for a in answers]


async def _batch_requests(
    api: Api, reqs: list[dict[str, Any]], parallel: int, progress: Callable[[int], None] | None,
    token: str | None = None,
) -> list[dict[str, Any]]:
    """Send ``reqs`` through /batch, BATCH at a time (as ``token``'s user, else the master key)."""
    out: list[dict[str, Any]] = [{}] * len(reqs)
    sem = asyncio.Semaphore(parallel)

    async def one(start: int) -> None:
        chunk = reqs[start : start + BATCH]
        async with sem:
            answer = await api.call("POST", "/batch", {"requests": chunk}, token=token, master=token is None)
        for offset, item in enumerate(answer):
            if "success" not in item:
                raise RuntimeError(f"batch item failed: {item}")
            out[start + offset] = item["success"]
        if progress:
            progress(len(chunk))

    await asyncio.gather(*(one(s) for s in range(0, len(reqs), BATCH)))
    return out


async def load_dataset(
    api: Api,
    *,
    patients: int,
    clinicians: int,
    encounters: int,
    notes: int,
    versions: int,
    seed: int = 8,
    parallel: int = 4,
    say: Callable[[str], None] = print,
) -> Dataset:
    rng = random.Random(seed)
    ds = Dataset(clinicians=await create_clinicians(api, clinicians))
    base = datetime(2024, 1, 1, tzinfo=UTC)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n

    async def step(name: str, coro: Awaitable[list[str]]) -> list[str]:
        ids = await coro
        ds.counts[name] = len(ids)
        say(f"    {name}: {len(ids)}")
        return ids

    owners = [i % clinicians for i in range(patients)]
    patient_bodies = []
    for i in range(patients):
        cid = ds.clinicians[owners[i]].object_id
        patient_bodies.append(
            {
                "mrn": f"MRN{seed:02d}{i:08d}",
                "fullName": f"Patient {i}",
                "dateOfBirth": date(iso(base - timedelta(days=rng.randint(365, 90 * 365)))),
                "sexAtBirth": rng.choice(["female", "male"]),
                "allergies": rng.sample(["penicillin", "latex", "peanuts", "sulfa", "iodine"], rng.randint(0, 2)),
                "primaryClinician": pointer("_User", cid),
                "status": "active",
                "contact": {"phone": f"+1555{i:07d}"},
                "ACL": acl_for(cid),
            }
        )
    pids = await step("Patient", _batched(api, "/classes/Patient", patient_bodies, parallel, tick))
    for i, pid in enumerate(pids):
        ds.patients.append(Patient(pid, owners[i]))
        ds.clinicians[owners[i]].patients.append(i)

    enc_bodies, enc_owner = [], []
    for pi, p in enumerate(ds.patients):
        cid = ds.clinicians[p.clinician].object_id
        for e in range(encounters):
            started = base + timedelta(days=rng.randint(0, 600), minutes=rng.randint(0, 1440))
            enc_bodies.append(
                {
                    "patient": pointer("Patient", p.object_id),
                    "encounterNumber": f"ENC{pi:07d}-{e}",
                    "type": rng.choice(["outpatient", "inpatient", "emergency", "telehealth"]),
                    "department": rng.choice(["cardiology", "internal", "pediatrics", "oncology"]),
                    "admittingClinician": pointer("_User", cid),
                    "startedAt": date(iso(started)),
                    "endedAt": date(iso(started + timedelta(hours=2))),
                    "status": "closed",
                    "location": f"room {rng.randint(1, 400)}",
                    "ACL": acl_for(cid),
                }
            )
            enc_owner.append(pi)
    eids = await step("Encounter", _batched(api, "/classes/Encounter", enc_bodies, parallel, tick))
    for pi, eid in zip(enc_owner, eids, strict=True):
        ds.patients[pi].encounters.append(eid)

    note_bodies, note_meta = [], []
    for p in ds.patients:
        cid = ds.clinicians[p.clinician].object_id
        for n in range(notes):
            note_bodies.append(
                {
                    "patient": pointer("Patient", p.object_id),
                    "encounter": pointer("Encounter", rng.choice(p.encounters)),
                    "author": pointer("_User", cid),
                    "title": f"Progress note {n + 1}",
                    "noteType": rng.choice(["progress", "admission", "discharge", "consult", "procedure"]),
                    "currentVersionNumber": 0,
                    "status": "draft",
                    "requiresCosign": False,
                    "ACL": acl_for(cid),
                }
            )
            note_meta.append(p.clinician)
    nids = await step("MedicalNote", _batched(api, "/classes/MedicalNote", note_bodies, parallel, tick))

    # The template's flow, as an app on either server writes it: versions (one round per version
    # number, so each note's versions arrive in order), a signature request on the last one, the
    # signer signs with their own session, the app marks the note signed.
    version_bodies, version_note = [], []
    for v in range(1, versions + 1):
        for ni, nid in enumerate(nids):
            cid = ds.clinicians[note_meta[ni]].object_id
            version_bodies.append(
                {
                    "medicalNote": pointer("MedicalNote", nid),
                    "versionNumber": v,
                    "editor": pointer("_User", cid),
                    "subjective": "Patient reports mild headache for three days, no fever. " * 2,
                    "objective": "BP 128/82, HR 72, afebrile. Neuro exam unremarkable.",
                    "assessment": "Tension-type headache.",
                    "plan": "Hydration, ibuprofen 400 mg as needed, return if worse.",
                    "changeSummary": "initial" if v == 1 else f"revision {v}",
                    "isAddendum": False,
                    "ACL": acl_for(cid),
                }
            )
            version_note.append(ni)
    vids = []
    for v in range(versions):
        part = version_bodies[v * len(nids) : (v + 1) * len(nids)]
        vids += await _batched(api, "/classes/NoteVersion", part, parallel, tick)
    ds.counts["NoteVersion"] = len(vids)
    say(f"    NoteVersion: {len(vids)}")
    last_version = {}
    for ni, vid in zip(version_note, vids, strict=True):
        last_version[ni] = vid  # versions are in order; the last one wins

    sig_bodies = []
    for ni, nid in enumerate(nids):
        cid = ds.clinicians[note_meta[ni]].object_id
        ds.notes.append((nid, last_version[ni], note_meta[ni]))
        sig_bodies.append(
            {
                "medicalNote": pointer("MedicalNote", nid),
                "noteVersion": pointer("NoteVersion", last_version[ni]),
                "signer": pointer("_User", cid),
                "signatureRole": "author",
                "status": "requested",
                "requestedAt": date(iso(base)),
                "ACL": acl_for(cid),
            }
        )
    sids = await step("Signature", _batched(api, "/classes/Signature", sig_bodies, parallel, tick))
    signed_at = date(iso(base + timedelta(hours=1)))
    for ci, clinician in enumerate(ds.clinicians):
        mine = [ni for ni in range(len(nids)) if note_meta[ni] == ci]
        signs = [{"method": "PUT", "path": f"/parse/classes/Signature/{sids[ni]}",
                  "body": {"status": "signed", "signedAt": signed_at}} for ni in mine]
        marks = [{"method": "PUT", "path": f"/parse/classes/MedicalNote/{nids[ni]}", "body": {"status": "signed"}}
                 for ni in mine]
        await _batch_requests(api, signs, parallel, tick, token=clinician.token)
        await _batch_requests(api, marks, parallel, tick, token=clinician.token)
    say(f"    signed: {len(sids)}")
    return ds
