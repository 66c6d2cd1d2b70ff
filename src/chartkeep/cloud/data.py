"""The data API cloud code reads and writes through: the same pipeline as a client's request.

Queries and saves run as the request's user (its session's roles, the ACLs, the class-level
permissions and every built-in rule) unless ``use_master_key=True`` is passed. Every write goes
through records/writes.py and so through records/commit.py: its ledger entry is the one a client's
write would leave, plus ``metadata.cloud`` naming the function, trigger or job that made it.
Inside a ``before_save`` / ``before_delete`` trigger the calls join the write's own transaction,
so they commit or roll back with it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import functions, reads, writes
from chartkeep.storage.database import Conn

CLOUD = "cloud"  # RequestContext.extra key: who in the cloud code acts (ledger metadata.cloud)


class DataApi:
    """``req.find(...)``, ``req.get(...)``, ``req.save(...)``, ``req.delete(...)``, ``req.run(...)``."""

    def __init__(self, core: Core, ctx: RequestContext, origin: str, conn: Conn | None = None) -> None:
        self._core = core
        self._ctx = ctx
        self._origin = origin
        self._conn = conn

    def _as(self, use_master_key: bool) -> RequestContext:
        return replace(self._ctx, is_master=use_master_key, extra={**self._ctx.extra, CLOUD: self._origin})

    async def find(self, class_name: str, where: dict[str, Any] | None = None, *, order: str | None = None,
                   limit: int | None = None, skip: int | None = None, include: str | list[str] | None = None,
                   keys: str | list[str] | None = None, use_master_key: bool = False) -> list[dict[str, Any]]:
        """The objects matching ``where`` (Parse's query language) that the caller may read."""
        raw: dict[str, Any] = {"where": where or {}}
        for name, value in (("order", order), ("limit", limit), ("skip", skip), ("include", include),
                            ("keys", keys)):
            if value is not None:
                raw[name] = ",".join(value) if isinstance(value, list) else value
        found = await reads.find(self._core, self._as(use_master_key), class_name, raw, self._conn)
        results: list[dict[str, Any]] = found["results"]
        return results

    async def first(self, class_name: str, where: dict[str, Any] | None = None, *,
                    use_master_key: bool = False) -> dict[str, Any] | None:
        found = await self.find(class_name, where, limit=1, use_master_key=use_master_key)
        return found[0] if found else None

    async def count(self, class_name: str, where: dict[str, Any] | None = None, *,
                    use_master_key: bool = False) -> int:
        raw = {"where": where or {}, "count": 1, "limit": 0}
        found = await reads.find(self._core, self._as(use_master_key), class_name, raw, self._conn)
        return int(found["count"])

    async def get(self, class_name: str, object_id: str, *, include: str | list[str] | None = None,
                  use_master_key: bool = False) -> dict[str, Any]:
        """The object, or ``cloud.Error`` 101 "Object not found." when it is missing or unreadable."""
        raw: dict[str, Any] = {}
        if include is not None:
            raw["include"] = ",".join(include) if isinstance(include, list) else include
        return await reads.get(self._core, self._as(use_master_key), class_name, object_id, raw, self._conn)

    async def save(self, class_name: str, values: dict[str, Any], *, object_id: str | None = None,
                   use_master_key: bool = False) -> dict[str, Any]:
        """Create (no ``object_id``) or update an object from Parse JSON ``values``; the answer a
        client would get (``objectId``, ``createdAt`` / ``updatedAt``, fields the server set)."""
        if not isinstance(values, dict):
            raise ParseError(Code.INVALID_JSON, "save() needs a dict of fields")
        ctx = self._as(use_master_key)
        if object_id is None:
            return await writes.create(self._core, ctx, class_name, dict(values), self._conn)
        return await writes.update(self._core, ctx, class_name, object_id, dict(values), self._conn)

    async def delete(self, class_name: str, object_id: str, *, use_master_key: bool = False) -> None:
        await writes.delete(self._core, self._as(use_master_key), class_name, object_id, self._conn)

    async def run(self, name: str, params: dict[str, Any] | None = None, *,
                  use_master_key: bool = False) -> Any:
        """Another Cloud function (a built-in one or the clinic's), as this request's caller."""
        reply = await functions.call(self._core, self._as(use_master_key), name, params or {})
        return reply["result"]
