"""Bulk Data ``$export`` (system, ``Patient/$export``, ``Group/{id}/$export``): the kick-off stores
the job in ``_FhirExport`` and starts it in the background, the status URL reports progress and then
the manifest, each file is NDJSON of one resource type.

The job reads as the caller, through the same searches as ``GET /{type}`` — the same read guard,
so a restricted record goes out only to a caller who may read it, and the same ledger ``read``
entries (one per patient). Each file is encrypted at rest with the attachments' keyring
(AES-256-GCM, ``storage/file_crypto.py``) under the data directory, where every process of the
server finds it. The job's state is in the database, so any process answers its status URL, and a
job a stopped process was running is resumed by another (``fhir/export_run.py``). Only the caller
who started a job polls, downloads or cancels it.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from datetime import UTC, datetime
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import export_run
from chartkeep.fhir.export_job import FAILED, Job, Request, folder, owner_of
from chartkeep.fhir.outcome import FhirError, invalid, not_supported
from chartkeep.fhir.params import date_range
from chartkeep.fhir.registry import RESOURCES
from chartkeep.storage.file_crypto import Keyring
from chartkeep.storage.queries import fhir_exports as table

FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
# Patient/$export and Group/{id}/$export: the types of a patient's compartment (everything but the
# staff directory, its roles and its panels, the audit ledger, files, and record grants)
PATIENT_TYPES = tuple(name for name in RESOURCES if name not in (
    "Practitioner", "PractitionerRole", "Group", "AuditEvent", "Binary", "Consent"))


def parse_kickoff(level: str, query: list[tuple[str, str]], prefer: str | None, url: str) -> Request:
    if "respond-async" not in (prefer or ""):
        raise invalid("$export needs the header Prefer: respond-async")
    allowed = tuple(RESOURCES) if level == "system" else PATIENT_TYPES
    out = Request(level, allowed, url=url)
    for key, value in query:
        if key == "_type":
            wanted = tuple(dict.fromkeys(t for part in value.split(",") for t in [part.strip()] if t))
            unknown = [t for t in wanted if t not in allowed]
            if unknown:
                raise invalid(f"_type names a type this export does not serve: {', '.join(unknown)}")
            out.types = wanted
        elif key == "_since":
            low, _ = date_range(value.replace(" ", "+"))  # a "+01:00" sent unescaped arrives as a space
            out.since = low.strftime("%Y-%m-%dT%H:%M:%S.") + f"{low.microsecond // 1000:03d}Z"
        elif key == "_outputFormat":
            if value not in FORMATS:
                raise invalid(f"_outputFormat must be one of {', '.join(FORMATS)}")
        elif key in ("_typeFilter", "_elements", "includeAssociatedData", "patient"):
            raise not_supported(f"The $export parameter {key} is not supported")
        else:
            raise invalid(f"Unknown $export parameter {key!r}")
    return out


async def start(core: Core, ctx: RequestContext, request: Request) -> str:
    """Store the job, holding its lease, and run it in the background of this process."""
    job_id = secrets.token_hex(16)
    request.base_url, request.client_ip = ctx.base_url, ctx.client_ip
    await asyncio.to_thread(folder(core, job_id).mkdir, parents=True, exist_ok=False)
    now = time.time()
    lease, until = export_run.new_lease(core)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    async with core.db.transaction() as tx:
        await table.insert(tx, {
            "objectId": job_id, "owner": owner_of(ctx), "request": request.dumps(), "status": table.IN_PROGRESS,
            "transactionTime": stamp, "done": 0, "resources": 0, "output": "[]", "error": None,
            "lease": lease, "leaseUntil": until, "attempts": 1, "createdAt": now, "updatedAt": now,
        })
    export_run.spawn(core, job_id, lease, ctx)
    return job_id


async def _mine(core: Core, ctx: RequestContext, job_id: str) -> Job:
    folder(core, job_id)  # 404 for what cannot be a job id
    async with core.db.read() as conn:
        row = await table.get(conn, job_id)
    if row is None or row["owner"] != owner_of(ctx):
        raise FhirError(404, "not-found", "No such export job")  # another caller's job is not shown
    return Job.from_row(row)


async def status(core: Core, ctx: RequestContext, job_id: str,
                 base: str) -> tuple[int, dict[str, Any] | None, str | None]:
    """(HTTP status, body, X-Progress) of a job: 202 while it runs, 200 with the manifest when done."""
    job = await _mine(core, ctx, job_id)
    if job.status == table.IN_PROGRESS:
        return 202, None, job.progress()
    if job.status == FAILED:
        raise FhirError(500, "exception", f"The export failed: {job.error}")
    return 200, {
        "transactionTime": job.transaction_time,
        "request": job.request.url,
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "url": f"{base}/$export-file/{job_id}/{o['file']}", "count": o["count"]}
                   for o in job.output],
        "error": [],
    }, None


async def download(core: Core, ctx: RequestContext, job_id: str, name: str) -> bytes:
    job = await _mine(core, ctx, job_id)
    found = next((o for o in job.output if o["file"] == name), None)
    if found is None:
        raise FhirError(404, "not-found", "No such export file")
    blob = await asyncio.to_thread((folder(core, job_id) / found["stored"]).read_bytes)
    return Keyring.from_settings(core.settings).decrypt(f"{job_id}/{name}", found["key"], blob)


async def cancel(core: Core, ctx: RequestContext, job_id: str) -> None:
    """Delete the job and its files; a process running it notices at its next update and stops."""
    await _mine(core, ctx, job_id)
    async with core.db.transaction() as tx:
        deleted = await table.delete(tx, job_id, owner_of(ctx))
    if not deleted:
        raise FhirError(404, "not-found", "No such export job")
    await asyncio.to_thread(shutil.rmtree, folder(core, job_id), True)
