"""The users a chart's care-team sources name (care/team.py): one ``UNION`` over the source
classes' user-pointer columns, for the rows that point at the chart root."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote


async def members(conn: Conn, sources: Sequence[tuple[str, str, str]], root_id: str) -> set[str]:
    """The users named by the ``(class, user column, root column)`` sources for ``root_id``."""
    parts: list[str] = []
    params: list[Any] = []
    for class_name, user_col, root_col in sources:
        params.append(root_id)
        mark = conn.dialect.placeholder(len(params))
        parts.append(f"SELECT {quote(user_col)} FROM {quote(class_name)} WHERE {quote(root_col)} = {mark}")
    if not parts:
        return set()
    found = await conn.fetch(" UNION ".join(parts), params)
    column = sources[0][1]  # a UNION's column is named after its first part's
    return {r[column] for r in found if r[column]}
