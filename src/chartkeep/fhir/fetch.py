"""The FHIR layer's one way to read rows: ``records.reads.find`` with a Parse ``where`` — the read
guard in the SQL, protected fields removed, one ``read`` ledger entry per patient per request."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.records import reads

# Rows a batched side-load (versions of a page of notes, …) may return at most
SIDE_LOAD_LIMIT = 10_000


async def find(
    core: Core, ctx: RequestContext, class_name: str, where: dict[str, Any], *, limit: int, skip: int = 0,
    order: str | None = None, include: tuple[str, ...] = (), count: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    raw: dict[str, Any] = {"where": where, "limit": limit}
    if skip:
        raw["skip"] = skip
    if order:
        raw["order"] = order
    if include:
        raw["include"] = ",".join(include)
    if count:
        raw["count"] = True
    out = await reads.find(core, ctx, class_name, raw)
    return list(out["results"]), (int(out["count"]) if count else None)
