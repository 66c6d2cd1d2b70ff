"""Who may put a file into an object's File field.

A download is allowed to whoever can read an object holding the file, so naming a file in an
object is itself a grant. Without the master key, a write may set a File field only to a file the
caller uploaded (or leave the value it already has): a file name seen elsewhere cannot be copied
into an object of one's own to reach someone else's file.
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError
from chartkeep.services.hooks import Hooks, WriteEvent
from chartkeep.storage import file_store

ANY_CLASS = "*"


async def check_file_fields(core: Any, event: WriteEvent) -> None:
    if event.ctx.is_master:
        return
    for name, spec in event.schema.fields.items():
        value = event.values.get(name)
        if spec.type != "File" or value is None:
            continue
        if not event.is_new:
            current = await event.load_current()
            if current is not None and current.get(name) == value:
                continue
        meta = await file_store.get_meta(event.conn, value)
        if meta is None or meta.owner is None or meta.owner != event.ctx.user_id:
            raise ParseError(
                Code.OPERATION_FORBIDDEN, f"Permission denied: {value} is not a file you uploaded."
            )


def register(hooks: Hooks) -> None:
    hooks.add("before_save", ANY_CLASS, check_file_fields)
