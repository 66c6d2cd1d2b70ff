"""Hooks around writes: the way built-in clinical rules (and, later, user code) join the pipeline.

``before_save`` hooks run inside the write's transaction, after validation and before the row is
stored: they may change the values to store (an ACL, say) or refuse with a ``ParseError``, which
rolls everything back. ``after_save`` and ``after_delete`` hooks run in the same transaction after
the row is written, so what they write commits or fails with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chartkeep.access.acl import write_principals
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn


@dataclass(slots=True)
class WriteEvent:
    ctx: RequestContext
    conn: Conn
    schema: ClassSchema
    object_id: str
    is_new: bool
    body: dict[str, Any]  # what the client sent
    values: dict[str, Any]  # decoded values about to be stored (hooks may change them)
    current: dict[str, Any] | None = None  # the stored row before this write (updates, deletes)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return self.schema.name

    async def load_current(self) -> dict[str, Any] | None:
        if self.current is None and not self.is_new:
            self.current = await rows.fetch_for_write(self.conn, self.schema, self.object_id, None)
        return self.current

    async def load_writable(self) -> dict[str, Any]:
        """The stored row an update targets, locked and kept as ``current``, if the caller may write
        it; 101 otherwise, as the ACL would answer."""
        principals = None if self.ctx.is_master else write_principals(self.ctx)
        current = await rows.fetch_for_write(self.conn, self.schema, self.object_id, principals)
        if current is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        self.current = current
        return current

    async def value(self, name: str) -> Any:
        """The field's value after this write: the new one if written, else the stored one."""
        if name in self.values:
            return self.values[name]
        current = await self.load_current()
        return None if current is None else current.get(name)


Hook = Callable[[Any, WriteEvent], Awaitable[None]]  # (core, event)


@dataclass(slots=True)
class Hooks:
    before_save: dict[str, list[Hook]] = field(default_factory=dict)
    after_save: dict[str, list[Hook]] = field(default_factory=dict)
    after_delete: dict[str, list[Hook]] = field(default_factory=dict)

    def add(self, kind: str, class_name: str, hook: Hook) -> None:
        getattr(self, kind).setdefault(class_name, []).append(hook)

    def has(self, kind: str, class_name: str) -> bool:
        table = getattr(self, kind)
        return bool(table.get(class_name) or table.get("*"))

    async def run(self, kind: str, core: Any, event: WriteEvent) -> None:
        """The class's own hooks, then those registered for every class (``"*"``)."""
        table = getattr(self, kind)
        for hook in (*table.get(event.class_name, ()), *table.get("*", ())):
            await hook(core, event)
