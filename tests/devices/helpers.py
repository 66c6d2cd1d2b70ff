"""Reading installations and ledger entries straight from the database (what the server stored)."""

from __future__ import annotations

import json
from typing import Any

IOS_TOKEN = "0123456789ABCDEF0123456789abcdef0123456789ABCDEF0123456789ABCDEF"  # 64 chars: an APNs token
IID_1 = "12345678-ABCD-abcd-abcd-123456789abc"
IID_2 = "22222222-abcd-abcd-abcd-123456789abc"


def mark(core: Any) -> str:
    return "$1" if core.db.dialect.name == "postgresql" else "?"


async def installations(core: Any) -> list[dict[str, Any]]:
    """Every stored installation (objectId, installationId, deviceToken, deviceType), by objectId."""
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "objectId", "installationId", "deviceToken", "deviceType" '
                                 'FROM "_Installation" ORDER BY "objectId"')
    return [dict(zip(("objectId", "installationId", "deviceToken", "deviceType"), tuple(r), strict=True))
            for r in found]


async def entries(core: Any, target_class: str, target_id: str | None = None) -> list[dict[str, Any]]:
    """The ledger entries on a class (or one object of it), oldest first."""
    sql = ('SELECT "eventType", "targetId", "outcome", "details", "metadata", "actor" FROM "_Audit" '
           f'WHERE "targetClass" = {mark(core)}')
    params: list[Any] = [target_class]
    if target_id is not None:
        sql += ' AND "targetId" = ' + ("$2" if core.db.dialect.name == "postgresql" else "?")
        params.append(target_id)
    async with core.db.read() as conn:
        found = await conn.fetch(sql + ' ORDER BY "seq"', params)
    out = []
    for r in found:
        meta = r[4] if not isinstance(r[4], str) else json.loads(r[4])
        out.append({"event": r[0], "id": r[1], "outcome": r[2], "details": r[3], "metadata": meta or {},
                    "actor": r[5]})
    return out
