"""Scale run: chart and ``Patient/$everything`` latency on Chartkeep/PG as the database grows to
200,000 patients / 1,000,000 notes.

Loading a million notes through REST would take most of an hour on two cores, so the rows are
bulk-loaded with ``COPY`` straight into Chartkeep's own tables (created by the server at start-up,
same columns, same indexes, same ACL encoding: ``_rperm``/``_wperm`` = ``{clinicianId}``, exactly
what ``"ACL": {clinicianId: {read, write}}`` becomes through REST). Per patient: 2 encounters and
5 signed notes, each note with its ``NoteVersion`` 1 and one signed author ``Signature`` on it
(``signedAt``, ``printedName``, ``meaning`` and ``contentHash`` as the signature rules set them: the
hash is Chartkeep's own SHA-256 of the version row). That is every row ``Patient/$everything``
reads for an EHR patient: the patient, its encounters, its notes (DocumentReference: the current
version and its signatures) and the signatures (Provenance: the signed version's number).

Clinicians are created and logged in through REST. The workloads then run through HTTP with the
clinicians' session tokens (``$everything`` through ``/fhir/R4`` with the token as Bearer), on
patients drawn uniformly from the whole database, at each size. Every patient has the same rows at
every size, so a chart returns the same amount of data (and ``$everything`` the same 13 resources)
and only the size of the tables changes.
The scale run keeps these ``owner`` ACLs and its 20 clinicians whatever ``--access`` says, so its
stages stay comparable with earlier runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import string
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from chartkeep.clinical.note_content import content_hash
from ckbench import floor, servers
from ckbench.client import Api
from ckbench.loader import Dataset, Patient, create_clinicians
from ckbench.workload import run_workload

CLINICIANS = 20
ENCOUNTERS, NOTES = 2, 5
# Patient/$everything of one EHR patient: the Patient, its Encounters, a DocumentReference per note
# and a Provenance per signed signature
EVERYTHING = 1 + ENCOUNTERS + NOTES + NOTES
TABLES = ("Patient", "Encounter", "MedicalNote", "NoteVersion", "Signature")
AUTHOR_MEANING = "Author: I wrote this note and attest that it is accurate and complete."
# PostgreSQL flushes an idle backend's table statistics within 10 s (PGSTAT_IDLE_INTERVAL)
STATS_SETTLE_S = 11.0
CHUNK = 20_000
_ALPHA = string.ascii_letters + string.digits
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def _id(rng: random.Random) -> str:
    return "".join(rng.choices(_ALPHA, k=10))


def _ts(rng: random.Random) -> datetime:
    return BASE + timedelta(seconds=rng.randrange(0, 700 * 86400), microseconds=rng.randrange(0, 1000) * 1000)


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
        "ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


class Copier:
    def __init__(self, conn: asyncpg.Connection, table: str, columns: list[str]) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self.buf: list[tuple[Any, ...]] = []
        self.count = 0

    async def add(self, values: dict[str, Any]) -> None:
        self.buf.append(tuple(values.get(c) for c in self.columns))
        if len(self.buf) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        if self.buf:
            await self.conn.copy_records_to_table(self.table, records=self.buf, columns=self.columns)
            self.count += len(self.buf)
            self.buf = []


async def grow(conn: asyncpg.Connection, ds: Dataset, target: int, rng: random.Random, versions: bool) -> None:
    copiers = {t: Copier(conn, t, await _columns(conn, t)) for t in TABLES}
    ncl = len(ds.clinicians)
    for i in range(len(ds.patients), target):
        ci = i % ncl
        cid = ds.clinicians[ci].object_id
        perms = [cid]
        made = _ts(rng)
        pid = _id(rng)
        await copiers["Patient"].add(
            {
                "objectId": pid, "createdAt": made, "updatedAt": made, "_rperm": perms, "_wperm": perms,
                "mrn": f"SMRN{i:09d}", "fullName": f"Scale Patient {i}",
                "dateOfBirth": BASE - timedelta(days=rng.randint(365, 90 * 365)),
                "sexAtBirth": rng.choice(("female", "male")), "allergies": orjson.dumps(["latex"]).decode(),
                "primaryClinician": cid, "status": "active",
                "contact": orjson.dumps({"phone": f"+1555{i:07d}"}).decode(),
            }
        )  # fmt: skip
        patient = Patient(pid, ci)
        for e in range(ENCOUNTERS):
            eid, started = _id(rng), _ts(rng)
            patient.encounters.append(eid)
            await copiers["Encounter"].add(
                {
                    "objectId": eid, "createdAt": started, "updatedAt": started, "_rperm": perms, "_wperm": perms,
                    "patient": pid, "encounterNumber": f"SENC{i:09d}-{e}", "type": "outpatient",
                    "department": "internal", "admittingClinician": cid, "startedAt": started,
                    "endedAt": started + timedelta(hours=2), "status": "closed", "location": "room 1",
                }
            )  # fmt: skip
        for n in range(NOTES):
            nid, made = _id(rng), _ts(rng)
            await copiers["MedicalNote"].add(
                {
                    "objectId": nid, "createdAt": made, "updatedAt": made, "_rperm": perms, "_wperm": perms,
                    "patient": pid, "encounter": rng.choice(patient.encounters), "author": cid,
                    "title": f"Progress note {n + 1}", "noteType": "progress", "currentVersionNumber": 1.0,
                    "status": "signed", "requiresCosign": False,
                }
            )  # fmt: skip
            if versions:
                version = {
                    "objectId": _id(rng), "createdAt": made, "updatedAt": made, "_rperm": perms,
                    "_wperm": perms, "medicalNote": nid, "versionNumber": 1.0, "editor": cid,
                    "subjective": "Patient reports mild headache for three days, no fever.",
                    "objective": "BP 128/82, HR 72.", "assessment": "Tension-type headache.",
                    "plan": "Hydration, ibuprofen as needed.", "changeSummary": "initial", "isAddendum": False,
                }  # fmt: skip
                await copiers["NoteVersion"].add(version)
                signed = made + timedelta(hours=1)
                await copiers["Signature"].add(
                    {
                        "objectId": _id(rng), "createdAt": made, "updatedAt": signed, "_rperm": perms,
                        "_wperm": perms, "medicalNote": nid, "noteVersion": version["objectId"], "signer": cid,
                        "signatureRole": "author", "status": "signed", "requestedAt": made, "signedAt": signed,
                        "printedName": f"Dr. Bench {ci}", "meaning": AUTHOR_MEANING,
                        "contentHash": content_hash(version),
                    }
                )  # fmt: skip
        ds.patients.append(patient)
    for c in copiers.values():
        await c.flush()


async def _scans(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """Sequential and index scans so far on the chart tables (PostgreSQL's cumulative statistics)."""
    rows = await conn.fetch(
        "SELECT relname, seq_scan, COALESCE(idx_scan, 0) AS idx_scan FROM pg_stat_user_tables "
        "WHERE relname = ANY($1::text[])",
        list(TABLES),
    )
    return {r["relname"]: {"seq": r["seq_scan"], "idx": r["idx_scan"]} for r in rows}


async def everything_probe(api: Api, ds: Dataset, sample: int = 20) -> dict[str, Any]:
    """``$everything`` of ``sample`` patients spread over the database: resources per type."""
    step = max(1, len(ds.patients) // sample)
    totals: list[int] = []
    types: dict[str, int] = {}
    for pi in range(0, len(ds.patients), step)[:sample]:
        p = ds.patients[pi]
        bundle = await api.fhir(f"/Patient/{p.object_id}/$everything", token=ds.clinicians[p.clinician].token)
        entries = bundle.get("entry") or []
        totals.append(len(entries))
        if len(totals) == 1:
            for e in entries:
                kind = e["resource"]["resourceType"]
                types[kind] = types.get(kind, 0) + 1
    return {"patients": len(totals), "resources": sorted(set(totals)), "types": types}


async def _measure(
    api: Api, ds: Dataset, op: str, args: argparse.Namespace, stage: dict[str, Any], say: Callable[[str], None]
) -> None:
    for conc in (1, 16):
        res = await run_workload(api, ds, {op: 1}, concurrency=conc, warmup=args.warmup, duration=args.op_duration)
        stage[f"{op}_c{conc}"] = res
        t = res["total"]
        say(
            f"    {op} c{conc}: {t['ops_s']:.1f} ops/s p50 {t['p50_ms']:.2f} ms "
            f"p99 {t['p99_ms']:.2f} ms errors {t['errors']}" + (f" {t['error_kinds']}" if t["errors"] else "")
        )


async def run_scale(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    sizes = [int(s) for s in str(args.scale_sizes).split(",") if s]
    ops = [o for o in str(args.scale_ops).split(",") if o]
    work = args.scratch / "work"
    db = args.scale_db
    await servers.recreate_database(db)
    server = servers.chartkeep_server("chartkeep-scale", args.chartkeep_port, servers.pg_url(db), work, db)
    out: dict[str, Any] = {
        "notes_per_patient": NOTES, "encounters_per_patient": ENCOUNTERS, "everything_per_patient": EVERYTHING,
        "ops": ops, "stages": [],
    }  # fmt: skip
    say(f"\n=== scale (Chartkeep/PG, bulk-loaded with COPY): {', '.join(f'{n:,}' for n in sizes)} patients ===")
    try:
        await server.start()
        async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=64) as api:
            ds = Dataset(clinicians=await create_clinicians(api, CLINICIANS), everything_resources=EVERYTHING)
            conn = await asyncpg.connect(servers.pg_url(db))
            rng = random.Random(2026)
            try:
                for target in sizes:
                    t0 = time.perf_counter()
                    await grow(conn, ds, target, rng, versions=True)
                    await conn.execute("ANALYZE")
                    load_s = time.perf_counter() - t0
                    notes = await conn.fetchval('SELECT count(*) FROM "MedicalNote"')
                    stage: dict[str, Any] = {"patients": len(ds.patients), "notes": notes, "load_s": load_s}
                    say(f"  {len(ds.patients):,} patients / {notes:,} notes loaded (+{load_s:.0f}s)")
                    if "chart" in ops:
                        await _measure(api, ds, "chart", args, stage, say)
                        stage["floor_c1"] = await floor.measure(
                            servers.pg_url(db), await floor.targets_from(servers.pg_url(db), ds), concurrency=1,
                            duration=min(5.0, args.op_duration), warmup=1.0, as_issued=False,
                        )  # fmt: skip
                        say(f"    floor c1 (data SQL only): p50 {stage['floor_c1']['p50_ms']:.2f} ms")
                    if "everything" in ops:
                        stage["everything_probe"] = probe = await everything_probe(api, ds)
                        say(f"    $everything returns {probe['resources']} resources per patient {probe['types']}")
                        await asyncio.sleep(STATS_SETTLE_S)
                        before = await _scans(conn)
                        await _measure(api, ds, "everything", args, stage, say)
                        await asyncio.sleep(STATS_SETTLE_S)
                        after = await _scans(conn)
                        stage["everything_scans"] = {
                            t: {k: after.get(t, {}).get(k, 0) - before.get(t, {}).get(k, 0) for k in ("seq", "idx")}
                            for t in TABLES
                        }
                        seq = {t: v["seq"] for t, v in stage["everything_scans"].items() if v["seq"]}
                        say(f"    sequential scans during $everything: {seq or 'none'}")
                    stage["table_mb"] = {
                        t: round(await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", f'"{t}"') / 1e6)
                        for t in TABLES
                    }
                    out["stages"].append(stage)
            finally:
                await conn.close()
    finally:
        server.stop()
    return out
