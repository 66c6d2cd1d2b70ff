"""Appointment lookups (messaging/appointment_rules.py): a provider's overlapping booking."""

from __future__ import annotations

from datetime import datetime

from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

APPOINTMENT = "Appointment"


async def overlapping(conn: Conn, provider: str, object_id: str, free: tuple[str, str], start: datetime,
                      end: datetime) -> str | None:
    """The objectId of another appointment of ``provider`` that overlaps [start, end) and holds its
    slot (a status outside ``free``, or none), if any."""
    d = conn.dialect
    p = d.placeholder
    row = await conn.fetchrow(
        f'SELECT "objectId" FROM {quote(APPOINTMENT)} WHERE "provider" = {p(1)} AND "objectId" <> {p(2)} '
        f'AND ("status" IS NULL OR "status" NOT IN ({p(3)}, {p(4)})) '
        f'AND "startAt" < {p(5)} AND "endAt" > {p(6)} LIMIT 1',
        [provider, object_id, *free, d.to_db("Date", end), d.to_db("Date", start)],
    )
    return None if row is None else str(row["objectId"])
