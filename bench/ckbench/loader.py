"""Load the same data set into a server through its Parse REST API.

Clinicians are created with the master key (``POST /users``) and then log in like any SDK user.
Chart data goes in through ``/batch`` (50 requests each) with the master key. Who may read it
depends on the access mode (``access.py``): ``careteam`` — each patient's care team is its
``primaryClinician`` and the ``admittingClinician`` of its encounters, objects are ACL'd to the
team's role (Chartkeep computes team and ACLs itself; on Parse the loader creates the roles and
sends the same ACLs, as an app would) — or ``owner`` — one clinician per patient, every object
``{clinicianId: read/write}``. The measured workload (run with the clinicians' session tokens) sees
the data as an app would.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ckbench import access
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
    clinician: int  # the primary clinician
    encounters: list[str] = field(default_factory=list)
    team: list[int] = field(default_factory=list)  # care-team members (clinician indexes); empty = [clinician]

    def members(self) -> list[int]:
        return self.team or [self.clinician]


@dataclass
class Dataset:
    clinicians: list[Clinician] = field(default_factory=list)
    patients: list[Patient] = field(default_factory=list)
    access: str = "owner"  # access.MODES
    # (medicalNote, noteVersion, clinician index) of loaded notes: what the `sign` operation signs
    notes: list[tuple[str, str, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # objects loaded, per class
    info: dict[str, Any] = field(default_factory=dict)  # how access is structured
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
    signed: int | None = None,
    mode: str = "owner",
    app_builds_teams: bool = False,
    seed: int = 8,
    parallel: int = 4,
    say: Callable[[str], None] = print,
) -> Dataset:
    """``signed``: notes per patient that get a signed signature (default all); ``mode``: access.MODES;
    ``app_builds_teams``: the server does not make care teams (Parse), so the loader creates the
    team roles and sends the team ACLs itself."""
    if mode not in access.MODES:
        raise ValueError(f"unknown access mode {mode!r}")
    careteam = mode == "careteam"
    send_acl = not careteam or app_builds_teams
    signed = notes if signed is None else min(signed, notes)
    rng = random.Random(seed)
    ds = Dataset(clinicians=await create_clinicians(api, clinicians), access=mode)
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

    def acl(class_name: str, pi: int, owner: int, signer: str | None = None) -> dict[str, Any]:
        if not careteam:
            return {"ACL": acl_for(ds.clinicians[owner].object_id)}
        if not send_acl:  # Chartkeep computes the care-team ACL itself
            return {}
        return {"ACL": access.team_acl(class_name, ds.patients[pi].object_id, signer)}

    team_size = encounters + 1 if careteam else 1
    teams = [access.team_of(i, team_size, clinicians) if careteam else [i % clinicians] for i in range(patients)]
    patient_bodies = []
    for i in range(patients):
        cid = ds.clinicians[teams[i][0]].object_id
        body = {
            "mrn": f"MRN{seed:02d}{i:08d}",
            "fullName": f"Patient {i}",
            "dateOfBirth": date(iso(base - timedelta(days=rng.randint(365, 90 * 365)))),
            "sexAtBirth": rng.choice(["female", "male"]),
            "allergies": rng.sample(["penicillin", "latex", "peanuts", "sulfa", "iodine"], rng.randint(0, 2)),
            "primaryClinician": pointer("_User", cid),
            "status": "active",
            "contact": {"phone": f"+1555{i:07d}"},
        }
        if not careteam:
            body["ACL"] = acl_for(cid)
        patient_bodies.append(body)
    pids = await step("Patient", _batched(api, "/classes/Patient", patient_bodies, parallel, tick))
    for i, pid in enumerate(pids):
        ds.patients.append(Patient(pid, teams[i][0], team=teams[i] if careteam else []))
        for member in ds.patients[i].members():
            ds.clinicians[member].patients.append(i)
    if careteam and app_builds_teams:
        await _make_parse_teams(api, ds, parallel, tick, say)

    enc_bodies, enc_owner = [], []
    for pi, p in enumerate(ds.patients):
        for e in range(encounters):
            admitting = p.members()[(1 + e) % len(p.members())]
            started = base + timedelta(days=rng.randint(0, 600), minutes=rng.randint(0, 1440))
            enc_bodies.append(
                {
                    "patient": pointer("Patient", p.object_id),
                    "encounterNumber": f"ENC{pi:07d}-{e}",
                    "type": rng.choice(["outpatient", "inpatient", "emergency", "telehealth"]),
                    "department": rng.choice(["cardiology", "internal", "pediatrics", "oncology"]),
                    "admittingClinician": pointer("_User", ds.clinicians[admitting].object_id),
                    "startedAt": date(iso(started)),
                    "endedAt": date(iso(started + timedelta(hours=2))),
                    "status": "closed",
                    "location": f"room {rng.randint(1, 400)}",
                    **acl("Encounter", pi, p.clinician),
                }
            )
            enc_owner.append(pi)
    eids = await step("Encounter", _batched(api, "/classes/Encounter", enc_bodies, parallel, tick))
    for pi, eid in zip(enc_owner, eids, strict=True):
        ds.patients[pi].encounters.append(eid)

    # note_meta: (patient index, author clinician index) of each note, in load order
    note_bodies, note_meta = [], []
    for pi, p in enumerate(ds.patients):
        for n in range(notes):
            author = rng.choice(p.members())
            note_bodies.append(
                {
                    "patient": pointer("Patient", p.object_id),
                    "encounter": pointer("Encounter", rng.choice(p.encounters)),
                    "author": pointer("_User", ds.clinicians[author].object_id),
                    "title": f"Progress note {n + 1}",
                    "noteType": rng.choice(["progress", "admission", "discharge", "consult", "procedure"]),
                    "currentVersionNumber": 0,
                    "status": "draft",
                    "requiresCosign": False,
                    **acl("MedicalNote", pi, author),
                }
            )
            note_meta.append((pi, author))
    nids = await step("MedicalNote", _batched(api, "/classes/MedicalNote", note_bodies, parallel, tick))

    # The template's flow, as an app on either server writes it: versions (one round per version
    # number, so each note's versions arrive in order), a signature request on the last one, the
    # signer signs with their own session, the app marks the note signed.
    version_bodies, version_note = [], []
    for v in range(1, versions + 1):
        for ni, nid in enumerate(nids):
            pi, author = note_meta[ni]
            version_bodies.append(
                {
                    "medicalNote": pointer("MedicalNote", nid),
                    "versionNumber": v,
                    "editor": pointer("_User", ds.clinicians[author].object_id),
                    "subjective": "Patient reports mild headache for three days, no fever. " * 2,
                    "objective": "BP 128/82, HR 72, afebrile. Neuro exam unremarkable.",
                    "assessment": "Tension-type headache.",
                    "plan": "Hydration, ibuprofen 400 mg as needed, return if worse.",
                    "changeSummary": "initial" if v == 1 else f"revision {v}",
                    "isAddendum": False,
                    **acl("NoteVersion", pi, author),
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

    to_sign = [ni for ni in range(len(nids)) if ni % notes < signed]  # each patient's first `signed` notes
    sig_bodies = []
    for ni, nid in enumerate(nids):
        ds.notes.append((nid, last_version[ni], note_meta[ni][1]))
    for ni in to_sign:
        pi, author = note_meta[ni]
        signer = ds.clinicians[author].object_id
        sig_bodies.append(
            {
                "medicalNote": pointer("MedicalNote", nids[ni]),
                "noteVersion": pointer("NoteVersion", last_version[ni]),
                "signer": pointer("_User", signer),
                "signatureRole": "author",
                "status": "requested",
                "requestedAt": date(iso(base)),
                **acl("Signature", pi, author, signer),
            }
        )
    sids = await step("Signature", _batched(api, "/classes/Signature", sig_bodies, parallel, tick))
    signed_at = date(iso(base + timedelta(hours=1)))
    for ci, clinician in enumerate(ds.clinicians):
        mine = [(ni, sid) for ni, sid in zip(to_sign, sids, strict=True) if note_meta[ni][1] == ci]
        signs = [{"method": "PUT", "path": f"/parse/classes/Signature/{sid}",
                  "body": {"status": "signed", "signedAt": signed_at}} for _, sid in mine]
        marks = [{"method": "PUT", "path": f"/parse/classes/MedicalNote/{nids[ni]}", "body": {"status": "signed"}}
                 for ni, _ in mine]
        await _batch_requests(api, signs, parallel, tick, token=clinician.token)
        await _batch_requests(api, marks, parallel, tick, token=clinician.token)
    say(f"    signed: {len(sids)}")
    if careteam:
        per = [len(c.patients) for c in ds.clinicians]
        ds.info.update(team_size=team_size, teams_per_clinician=[min(per), max(per)])
        say(f"    care teams of {team_size}; each clinician on {min(per)}–{max(per)} teams")
    if nids:
        sample = await api.call("GET", f"/classes/MedicalNote/{nids[0]}", master=True)
        say(f"    a loaded MedicalNote's ACL: {sample.get('ACL')}")
    return ds


async def _make_parse_teams(
    api: Api, ds: Dataset, parallel: int, tick: Callable[[int], None], say: Callable[[str], None]
) -> None:
    """Parse only: the roles Chartkeep makes by itself (seed roles, one care team per patient), and
    each Patient's ACL on its team (a Patient's id, hence its role's name, exists once it is saved)."""
    ids = [c.object_id for c in ds.clinicians]
    made = await _batch_requests(api, access.seed_role_requests(ids), parallel, None)
    await _batch_requests(api, [access.clinician_role_request(made[1]["objectId"])], parallel, None)
    teams = [access.team_role_request(p.object_id, [ids[m] for m in p.members()]) for p in ds.patients]
    await _batch_requests(api, teams, parallel, tick)
    acls = [{"method": "PUT", "path": f"/parse/classes/Patient/{p.object_id}",
             "body": {"ACL": access.team_acl("Patient", p.object_id)}} for p in ds.patients]
    await _batch_requests(api, acls, parallel, tick)
    say(f"    roles (app-made, as on Chartkeep): admin, physician, clinician ⊇ physician, {len(teams)} care teams")
