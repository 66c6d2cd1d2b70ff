"""The floor: the SQL one ``chart`` needs, straight through asyncpg (no HTTP, no Python server).

The statements are the ones Chartkeep issues for the three requests of a chart (captured from
PostgreSQL's statement log with ``log_min_duration_statement = 0``), with the same parameters:

* per request: the session lookup (``_Session`` ⋈ ``_User`` by token digest) and the role walk;
* the Patient by id, the Encounters by pointer, the MedicalNotes by pointer newest first (limit 50),
  and the ``include=author`` batch of ``_User`` rows, each under the reader's ACL principals (``*``,
  the user id, ``role:<name>`` of every role they hold, care teams included).

Two variants: ``data`` (the four data statements only: what any server must read) and
``as_issued`` (plus the three session lookups and three role walks Chartkeep makes per chart).
Both on one pooled connection per worker, no pool reset between statements.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from typing import Any

import asyncpg

from ckbench.loader import Dataset
from ckbench.workload import percentile

SESSION = (
    'SELECT s."expiresAt" AS "_expiresAt", u."objectId", u."createdAt", u."updatedAt", u."role", u."email", '
    'u."authData", u."username", u."displayName", u."emailVerified", u."licenseNumber", u."_hashed_password", '
    'u."_rperm", u."_wperm" FROM "_Session" s JOIN "_User" u ON u."objectId" = s."user" '
    'WHERE s."sessionToken" = $1'
)
ROLES = (
    'WITH RECURSIVE granted(id) AS (SELECT "owningId" FROM "_Join:users:_Role" WHERE "relatedId" = $1 '
    'UNION SELECT j."owningId" FROM "_Join:roles:_Role" j JOIN granted g ON j."relatedId" = g.id) '
    'SELECT "name" FROM "_Role" WHERE "objectId" IN (SELECT id FROM granted)'
)
PATIENT = (
    'SELECT "objectId", "createdAt", "updatedAt", "mrn", "status", "contact", "fullName", "allergies", '
    '"sexAtBirth", "dateOfBirth", "primaryClinician", "_rperm", "_wperm" FROM "Patient" '
    'WHERE "objectId" IN ($1) AND ("_rperm" IS NULL OR "_rperm" && $2::text[])'
)
ENCOUNTERS = (
    'SELECT "objectId", "createdAt", "updatedAt", "type", "status", "endedAt", "patient", "location", '
    '"startedAt", "department", "encounterNumber", "admittingClinician", "_rperm", "_wperm" FROM "Encounter" '
    'WHERE (("Encounter"."patient" = $1::text) AND ("Encounter"."_rperm" IS NULL OR "Encounter"."_rperm" && '
    "$2::text[])) LIMIT 100"
)
NOTES = (
    'SELECT "objectId", "createdAt", "updatedAt", "title", "author", "status", "patient", "noteType", '
    '"encounter", "requiresCosign", "currentVersionNumber", "_rperm", "_wperm" FROM "MedicalNote" '
    'WHERE (("MedicalNote"."patient" = $1::text) AND ("MedicalNote"."_rperm" IS NULL OR '
    '"MedicalNote"."_rperm" && $2::text[])) ORDER BY "MedicalNote"."createdAt" DESC NULLS LAST LIMIT 50'
)
AUTHORS = (
    'SELECT "objectId", "createdAt", "updatedAt", "role", "email", "authData", "username", "displayName", '
    '"emailVerified", "licenseNumber", "_hashed_password", "_rperm", "_wperm" FROM "_User" '
    'WHERE "objectId" = ANY($1::text[]) AND ("_rperm" IS NULL OR "_rperm" && $2::text[])'
)


Target = tuple[str, str, str, list[str]]  # patient objectId, clinician objectId, token digest, read principals


async def _chart(conn: asyncpg.Connection, pid: str, uid: str, digest: str, perms: list[str], as_issued: bool) -> None:
    if as_issued:
        await conn.fetchrow(SESSION, digest)
        await conn.fetch(ROLES, uid)
    await conn.fetch(PATIENT, pid, perms)
    if as_issued:
        await conn.fetchrow(SESSION, digest)
        await conn.fetch(ROLES, uid)
    await conn.fetch(ENCOUNTERS, pid, perms)
    if as_issued:
        await conn.fetchrow(SESSION, digest)
        await conn.fetch(ROLES, uid)
    notes = await conn.fetch(NOTES, pid, perms)
    authors = sorted({r["author"] for r in notes if r["author"]})
    if authors:
        await conn.fetch(AUTHORS, authors, perms)


async def measure(
    url: str,
    targets: list[Target],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    as_issued: bool,
) -> dict[str, Any]:
    """``targets``: (patient objectId, clinician objectId, session token digest, principals)."""
    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    lat: list[float] = []
    state = {"rec": False, "stop": False}

    async def worker(w: int) -> None:
        rng = random.Random(w)
        async with pool.acquire() as conn:
            while not state["stop"]:
                pid, uid, digest, perms = targets[rng.randrange(len(targets))]
                t0 = time.perf_counter()
                await _chart(conn, pid, uid, digest, perms, as_issued)
                if state["rec"]:
                    lat.append(time.perf_counter() - t0)

    try:
        tasks = [asyncio.create_task(worker(w)) for w in range(concurrency)]
        await asyncio.sleep(warmup)
        state["rec"] = True
        t0 = time.perf_counter()
        await asyncio.sleep(duration)
        state["rec"] = False
        elapsed = time.perf_counter() - t0
        state["stop"] = True
        await asyncio.gather(*tasks)
    finally:
        await pool.close()
    lat.sort()
    return {
        "concurrency": concurrency,
        "ops_s": len(lat) / elapsed,
        "p50_ms": percentile(lat, 50) * 1000,
        "p95_ms": percentile(lat, 95) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
    }


async def targets_from(url: str, ds: Dataset) -> list[Target]:
    """Each patient with its primary clinician and what the server matches ACLs against: ``*``, the
    user id and ``role:<name>`` of every role the user holds (care teams included)."""
    conn = await asyncpg.connect(url)
    try:
        perms = {}
        for cl in ds.clinicians:
            names = [r["name"] for r in await conn.fetch(ROLES, cl.object_id)]
            perms[cl.object_id] = ["*", cl.object_id, *(f"role:{n}" for n in sorted(names))]
    finally:
        await conn.close()
    out = []
    for p in ds.patients:
        cl = ds.clinicians[p.clinician]
        out.append((p.object_id, cl.object_id, hashlib.sha256(cl.token.encode()).hexdigest(), perms[cl.object_id]))
    return out


async def run_floor(url: str, ds: Dataset, *, duration: float, warmup: float) -> dict[str, Any]:
    targets = await targets_from(url, ds)
    out = {}
    for name, as_issued in (("data", False), ("as_issued", True)):
        for conc in (1, 16):
            out[f"{name}_c{conc}"] = await measure(
                url, targets, concurrency=conc, duration=duration, warmup=warmup, as_issued=as_issued
            )
    return out
