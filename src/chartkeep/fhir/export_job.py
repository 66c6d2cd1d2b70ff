"""What a Bulk Data ``$export`` job is, as its ``_FhirExport`` row keeps it: who asked (the owner),
what was asked (the request), how far it got (types done, resources, the files written), and where
its files are (``<data_dir>/fhir-export/<job>/``, shared by every process of the server).

Everything a process needs to run or resume the job is in the row, so the job belongs to no process.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir.outcome import FhirError
from chartkeep.storage.database import Row

JOB_RE = re.compile(r"^[a-f0-9]{32}$")
MASTER = "master"
COMPLETED, FAILED = "completed", "failed"


@dataclass
class Request:
    level: str  # "system", "patient" or "group"
    types: tuple[str, ...]
    members: tuple[str, ...] | None = None  # a group export: the patient FHIR ids the caller may read
    since: str | None = None
    url: str = ""
    base_url: str = ""  # the caller's Parse mount URL (signed file links in the output)
    client_ip: str | None = None  # the caller's address, for the ledger's read entries

    def dumps(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def loads(cls, text: str) -> Request:
        found: dict[str, Any] = orjson.loads(text)
        members = found.get("members")
        return cls(level=found["level"], types=tuple(found["types"]),
                   members=None if members is None else tuple(members), since=found.get("since"),
                   url=found.get("url", ""), base_url=found.get("base_url", ""), client_ip=found.get("client_ip"))


@dataclass
class Job:
    id: str
    owner: str  # "master", or "user:<objectId>"
    request: Request
    status: str
    transaction_time: str
    done: int = 0  # types finished, in request.types order
    resources: int = 0
    output: list[dict[str, Any]] = field(default_factory=list)  # {type, file, stored, key, count}
    error: str | None = None
    attempts: int = 1

    @classmethod
    def from_row(cls, row: Row) -> Job:
        return cls(id=row["objectId"], owner=row["owner"], request=Request.loads(row["request"]),
                   status=row["status"], transaction_time=row["transactionTime"], done=int(row["done"]),
                   resources=int(row["resources"]), output=orjson.loads(row["output"]), error=row["error"],
                   attempts=int(row["attempts"]))

    def progress(self) -> str:
        return f"{self.done} of {len(self.request.types)} types, {self.resources} resources"


def owner_of(ctx: RequestContext) -> str:
    return MASTER if ctx.is_master else f"user:{ctx.user_id}"


def root(core: Core) -> Path:
    return core.settings.data_dir / "fhir-export"


def folder(core: Core, job_id: str) -> Path:
    if not JOB_RE.match(job_id):
        raise FhirError(404, "not-found", "No such export job")
    return root(core) / job_id
