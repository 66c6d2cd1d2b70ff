"""What LiveQuery learns from the write pipeline: one ``Change`` per committed write.

The one write primitive (records/commit.py) reads the row before an update or a delete (the
``original``) and, once the row is written, calls :func:`after_write` with the row as the INSERT
or UPDATE returned it (``RETURNING``: no read-back) or :func:`after_delete`, all inside the write's
transaction. The change is handed to the feed by the transaction's on-commit queue, so a
rolled-back write publishes nothing. Rows are internal values (the matcher's input) as the
database returned them inside the transaction, so what subscribers see is exactly what was
stored — hooks' changes included — minus hidden columns such as password hashes.
"""

from __future__ import annotations

from typing import Any

from chartkeep.core.feed import Change
from chartkeep.core.handles import Core
from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn
from chartkeep.storage.ddl import HIDDEN_COLUMNS

NEVER_PUBLISHED = frozenset({"_Session"})


def tracking(core: Core, class_name: str) -> bool:
    feed = core.live
    return feed is not None and class_name not in NEVER_PUBLISHED and feed.tracks(class_name)


def clean(schema: ClassSchema, row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    for name in HIDDEN_COLUMNS.get(schema.name, ()):
        row.pop(name, None)
    return row


def after_write(core: Core, conn: Conn, schema: ClassSchema, stored: dict[str, Any],
                original: dict[str, Any] | None) -> None:
    """``stored``: the row as the INSERT or UPDATE left it (its ``RETURNING``, in the
    transaction), published once it commits."""
    current = clean(schema, stored)
    if current is not None:
        _publish(core, conn, Change(schema.name, current["objectId"], original, current))


def after_insert(core: Core, conn: Conn, schema: ClassSchema, row: dict[str, Any]) -> None:
    """A row just inserted as given (a bulk import's: not read back one by one), published once it
    commits."""
    current = clean(schema, dict(row))
    if current is not None:
        _publish(core, conn, Change(schema.name, row["objectId"], None, current))


def after_delete(core: Core, conn: Conn, schema: ClassSchema, object_id: str,
                 original: dict[str, Any] | None) -> None:
    original = clean(schema, original)
    if original is not None:
        _publish(core, conn, Change(schema.name, object_id, original, None))


def _publish(core: Core, conn: Conn, change: Change) -> None:
    feed = core.live
    if feed is not None:
        conn.on_commit(lambda: feed.publish(change))
