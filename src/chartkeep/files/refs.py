"""Who may put a file into an object's File field (or a File element of an Array field).

A download is allowed to whoever can read an object holding the file, so naming a file in an
object is itself a grant. Without the master key, a write may set a File field only to a file the
caller uploaded (or leave the value it already has): a file name seen elsewhere cannot be copied
into an object of one's own to reach someone else's file. Files inside an Array (a message's
``attachments``) follow the same rule, element by element, and are stored without their url.
"""

from __future__ import annotations

from typing import Any

from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.schema.file_values import attachment_names, strip_file_urls
from chartkeep.storage import file_store

ANY_CLASS = "*"


async def _new_names(event: WriteEvent, name: str, kind: str, value: Any) -> list[str]:
    """The file names this write puts into field ``name`` that it did not hold before."""
    names = [value] if kind == "File" else attachment_names(value)
    if not names or event.is_new:
        return names
    current = await event.load_current()
    old = current.get(name) if current is not None else None
    held = {old} if kind == "File" else set(attachment_names(old))
    return [n for n in names if n not in held]


async def check_file_fields(core: Core, event: WriteEvent) -> None:
    for name, spec in event.schema.fields.items():
        value = event.values.get(name)
        if spec.type not in ("File", "Array") or value is None:
            continue
        if spec.type == "Array":
            value = event.values[name] = strip_file_urls(value)
        if event.ctx.is_master:
            continue
        for file_name in await _new_names(event, name, spec.type, value):
            meta = await file_store.get_meta(event.conn, file_name)
            if meta is None or meta.owner is None or meta.owner != event.ctx.user_id:
                raise ParseError(
                    Code.OPERATION_FORBIDDEN, f"Permission denied: {file_name} is not a file you uploaded."
                )


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", ANY_CLASS, check_file_fields)
