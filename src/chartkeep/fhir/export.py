"""Bulk Data ``$export`` (system and ``Patient/$export``): the kick-off starts a job in the background,
the status URL reports progress and then the manifest, each file is NDJSON of one resource type.

The job reads as the caller, through the same searches as ``GET /{type}`` — the same read guard,
so a restricted record goes out only to a caller who may read it, and the same ledger ``read``
entries (one per patient). Each file is encrypted at rest with the attachments' keyring
(AES-256-GCM, ``storage/file_crypto.py``) under the data directory, where every worker of the
server finds it; the job's manifest beside it holds no clinical data. Only the caller who started
a job polls, downloads or cancels it.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir import search
from chartkeep.fhir.outcome import FhirError, invalid, not_supported
from chartkeep.fhir.params import date_range
from chartkeep.fhir.registry import RESOURCES
from chartkeep.storage.file_crypto import Keyring

PAGE = search.MAX_COUNT
FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
JOB_RE = re.compile(r"^[a-f0-9]{32}$")
# Patient/$export and Group/{id}/$export: the types of a patient's compartment (everything but the
# staff directory, its roles and its panels, the audit ledger, files, and record grants)
PATIENT_TYPES = tuple(name for name in RESOURCES if name not in (
    "Practitioner", "PractitionerRole", "Group", "AuditEvent", "Binary", "Consent"))


@dataclass
class Request:
    level: str  # "system", "patient" or "group"
    types: tuple[str, ...]
    members: tuple[str, ...] | None = None  # a group export: the patient FHIR ids the caller may read
    since: str | None = None
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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


def _root(core: Core) -> Path:
    return core.settings.data_dir / "fhir-export"


def _owner(ctx: RequestContext) -> str:
    return "master" if ctx.is_master else f"user:{ctx.user_id}"


def _job_dir(core: Core, job: str) -> Path:
    if not JOB_RE.match(job):
        raise FhirError(404, "not-found", "No such export job")
    return _root(core) / job


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / "job.json.tmp"
    tmp.write_bytes(orjson.dumps(manifest))
    tmp.replace(folder / "job.json")  # a reader never sees half a manifest


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads((folder / "job.json").read_bytes())
    except FileNotFoundError:
        return None
    return found


async def start(core: Core, ctx: RequestContext, request: Request) -> str:
    job = secrets.token_hex(16)
    folder = _root(core) / job
    folder.mkdir(parents=True, exist_ok=False)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    manifest = {"owner": _owner(ctx), "status": "in-progress", "transactionTime": now, "request": request.url,
                "types": list(request.types), "done": 0, "resources": 0, "output": [], "error": None}
    _write_manifest(folder, manifest)
    core.background.spawn(_run(core, ctx, request, folder, manifest), f"fhir-export-{job}")
    return job


async def _run(core: Core, ctx: RequestContext, request: Request, folder: Path, manifest: dict[str, Any]) -> None:
    keyring = Keyring.from_settings(core.settings)
    base: list[tuple[str, str | None, str]] = [("_lastUpdated", None, f"ge{request.since}")] if request.since else []
    try:
        for type_name in request.types:
            lines: list[bytes] = []
            offset = 0
            compartment = _compartment(type_name, request.members)
            while compartment is not None:
                p = search.Plan(count=PAGE, offset=offset)
                try:
                    found, total, _ = await search.run(core, ctx, RESOURCES[type_name], p,
                                                       base_filters=[*base, *compartment])
                except ParseError as exc:
                    if exc.code != Code.OPERATION_FORBIDDEN:
                        raise
                    break  # a class closed to the caller's role (the ledger to a clinician): no file
                lines += [orjson.dumps(r) for r in found]
                offset += p.count
                if offset >= total or not found:
                    break
            if lines:
                name = f"{type_name}.ndjson"
                key_id, blob = keyring.encrypt(f"{folder.name}/{name}", b"\n".join(lines) + b"\n")
                await asyncio.to_thread((folder / f"{name}.{key_id}").write_bytes, blob)
                manifest["output"].append({"type": type_name, "file": name, "key": key_id, "count": len(lines)})
            manifest["done"] += 1
            manifest["resources"] += len(lines)
            if not folder.exists():
                return  # cancelled
            _write_manifest(folder, manifest)
        manifest["status"] = "completed"
    except Exception as exc:  # noqa: BLE001 - a failed job says so in its status, never silently
        manifest["status"], manifest["error"] = "failed", str(getattr(exc, "diagnostics", None) or exc)
    if folder.exists():
        _write_manifest(folder, manifest)


def _compartment(type_name: str, members: tuple[str, ...] | None) -> list[tuple[str, str | None, str]] | None:
    """The filters that keep a group export to its members' compartments ([] for any other export;
    None when a group has no member, so nothing is read)."""
    if members is None:
        return []
    if not members:
        return None
    if type_name == "Patient":
        return [("_id", None, ",".join(members))]
    return [("patient", None, ",".join(f"Patient/{m}" for m in members))]


def _mine(core: Core, ctx: RequestContext, job: str) -> tuple[Path, dict[str, Any]]:
    folder = _job_dir(core, job)
    manifest = _read_manifest(folder)
    if manifest is None or manifest["owner"] != _owner(ctx):
        raise FhirError(404, "not-found", "No such export job")  # another caller's job is not shown
    return folder, manifest


def status(core: Core, ctx: RequestContext, job: str, base: str) -> tuple[int, dict[str, Any] | None, str | None]:
    """(HTTP status, body, X-Progress) of a job: 202 while it runs, 200 with the manifest when done."""
    _, manifest = _mine(core, ctx, job)
    if manifest["status"] == "in-progress":
        return 202, None, f"{manifest['done']} of {len(manifest['types'])} types, {manifest['resources']} resources"
    if manifest["status"] == "failed":
        raise FhirError(500, "exception", f"The export failed: {manifest['error']}")
    return 200, {
        "transactionTime": manifest["transactionTime"],
        "request": manifest["request"],
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "url": f"{base}/$export-file/{job}/{o['file']}", "count": o["count"]}
                   for o in manifest["output"]],
        "error": [],
    }, None


async def download(core: Core, ctx: RequestContext, job: str, name: str) -> bytes:
    folder, manifest = _mine(core, ctx, job)
    found = next((o for o in manifest["output"] if o["file"] == name), None)
    if found is None:
        raise FhirError(404, "not-found", "No such export file")
    blob = await asyncio.to_thread((folder / f"{name}.{found['key']}").read_bytes)
    return Keyring.from_settings(core.settings).decrypt(f"{job}/{name}", found["key"], blob)


def cancel(core: Core, ctx: RequestContext, job: str) -> None:
    folder, _ = _mine(core, ctx, job)
    shutil.rmtree(folder, ignore_errors=True)



