"""Walk the chain and report the first row that was changed, removed or inserted.

Each row must carry the next sequence number, link to the previous row's hash, and hash to its
own content; the last row must be the one the head names. Rows are read in pages by sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chartkeep.audit.append import READERS
from chartkeep.audit.entry import GENESIS, Entry, chain_hash
from chartkeep.audit.table import COLUMNS, HEAD, LEDGER
from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote

PAGE = 2000


@dataclass(slots=True)
class Report:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    seq: int | None = None  # the first row found wrong (or where rows are missing)


def entry_from_row(conn: Conn, row: Row) -> Entry:
    d = conn.dialect
    v: dict[str, Any] = {n: (None if row[n] is None else d.from_db(t, row[n])) for n, t in COLUMNS}
    return Entry(
        event_type=v["eventType"], actor=v["actor"], patient=v["patient"], patient_class=v["patientClass"],
        target_class=v["targetClass"], target_id=v["targetId"], outcome=v["outcome"], details=v["details"],
        metadata=v["metadata"], ip_address=v["ipAddress"], source=v["source"], severity=v["severity"],
        object_id=v["objectId"], time=v["time"], seq=int(row["seq"]), prev_hash=v["prevHash"] or "",
        hash=v["hash"] or "",
    )


async def verify(conn: Conn, progress: Callable[[int], None] | None = None) -> Report:
    head = await conn.fetchrow(f'SELECT "seq", "hash" FROM {quote(HEAD)} WHERE "id" = 1')
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    names = ", ".join(quote(n) for n in ["seq", *(c for c, _ in COLUMNS), "_rperm"])
    p = "$1" if conn.dialect.name == "postgresql" else "?"
    expected_seq, prev, count, after = 1, GENESIS, 0, 0
    report = Report(True, 0, head_seq, head_hash)
    while True:
        page = await conn.fetch(
            f'SELECT {names} FROM {quote(LEDGER)} WHERE "seq" > {p} ORDER BY "seq" LIMIT {PAGE}', [after])
        if not page:
            break
        for row in page:
            entry = entry_from_row(conn, row)
            problem = _check(entry, expected_seq, prev, conn.dialect.perm_from_db(row["_rperm"]))
            if problem:
                return _fail(report, count, problem, entry.seq if "removed" not in problem else expected_seq)
            prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
        after = int(page[-1]["seq"])
        if progress:
            progress(count)
    report.rows = count
    if expected_seq - 1 != head_seq or prev != head_hash:
        return _fail(report, count, f"rows after seq {expected_seq - 1} were removed (the head names seq "
                                    f"{head_seq})", expected_seq)
    return report


def _check(entry: Entry, expected_seq: int, prev: str, readers: list[str] | None) -> str | None:
    if entry.seq > expected_seq:
        return f"rows {expected_seq}..{entry.seq - 1} were removed"
    if entry.hash != chain_hash(entry.prev_hash, entry.content()):
        return f"row seq {entry.seq} was changed (its content no longer matches its hash)"
    if entry.prev_hash != prev:
        return f"row seq {entry.seq} was inserted or re-chained (it does not link to the row before it)"
    if sorted(readers or []) != sorted(READERS):
        return f"row seq {entry.seq} had its permissions changed"
    return None


def _fail(report: Report, count: int, problem: str, seq: int) -> Report:
    report.ok, report.rows, report.problem, report.seq = False, count, problem, seq
    return report
