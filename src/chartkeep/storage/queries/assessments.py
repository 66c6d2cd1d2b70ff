"""Behavioral-health assessment lookups (behavioral/): the crisis log an assessment raised."""

from __future__ import annotations

from collections.abc import Sequence

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

CRISIS_LOG = "CrisisInterventionLog"


async def crisis_log_raised_by(conn: Conn, assessment_ids: Sequence[str]) -> str | None:
    """The objectId of a crisis log whose ``source`` is one of these assessments, if any."""
    if not assessment_ids:
        return None
    marks = ", ".join(conn.dialect.placeholder(i) for i in range(1, len(assessment_ids) + 1))
    row = await conn.fetchrow(
        f'SELECT "objectId" FROM {quote(CRISIS_LOG)} WHERE "source" IN ({marks}) LIMIT 1',
        list(assessment_ids),
    )
    return None if row is None else str(row["objectId"])
