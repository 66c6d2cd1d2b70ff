"""``audit export``: the ledger between two times, sorted by any field, as CSV or JSON lines.

ONC 170.315(d)(3): a report of audit records that can be sorted by any element. The rows are
streamed in pages so a long period never sits in memory at once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from chartkeep.audit.table import COLUMNS, LEDGER
from chartkeep.audit.verify import entry_from_row
from chartkeep.schema.dates import iso_ms
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

FIELDS = ["seq", *(n for n, _ in COLUMNS)]
PAGE = 2000


def _record(conn: Conn, row: Any) -> dict[str, Any]:
    e = entry_from_row(conn, row)
    return {
        "seq": e.seq, "objectId": e.object_id, "time": iso_ms(e.time) if e.time else None, "actor": e.actor,
        "patient": e.patient, "patientClass": e.patient_class, "eventType": e.event_type,
        "targetClass": e.target_class, "targetId": e.target_id, "outcome": e.outcome, "details": e.details,
        "metadata": e.metadata, "ipAddress": e.ip_address, "source": e.source, "severity": e.severity,
        "prevHash": e.prev_hash, "hash": e.hash,
    }


async def export(conn: Conn, out: IO[str], start: datetime | None, end: datetime | None, sort: str = "seq",
                 descending: bool = False, fmt: str = "csv", progress: Callable[[int], None] | None = None) -> int:
    if sort not in FIELDS:
        raise ValueError(f"cannot sort by {sort!r}; fields: {', '.join(FIELDS)}")
    d = conn.dialect
    conds, params = [], []
    last = await conn.fetchval(f'SELECT MAX("seq") FROM {quote(LEDGER)}') or 0
    # pages stay stable while others append: only rows that existed when the export began
    for column, op, value in (("time", ">=", start), ("time", "<", end), ("seq", "<=", last)):
        if value is not None:
            params.append(d.to_db("Date", value) if column == "time" else value)
            conds.append(f'"{column}" {op} {f"${len(params)}" if d.name == "postgresql" else "?"}')
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    order = f'{quote(sort)} {"DESC" if descending else "ASC"}, "seq"'
    names = ", ".join(quote(n) for n in FIELDS)
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    count = 0
    while True:
        page = await conn.fetch(
            f"SELECT {names} FROM {quote(LEDGER)} {where} ORDER BY {order} LIMIT {PAGE} OFFSET {count}", params)
        for row in page:
            record = _record(conn, row)
            if writer:
                writer.writerow({**record, "metadata": json.dumps(record["metadata"]) if record["metadata"] else ""})
            else:
                out.write(json.dumps(record) + "\n")
        count += len(page)
        if progress:
            progress(count)
        if len(page) < PAGE:
            return count
