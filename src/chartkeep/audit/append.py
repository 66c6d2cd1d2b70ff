"""Appending to the ledger inside a transaction.

Entries are *staged* on the transaction while it runs and written in one statement just before
its COMMIT: the chain head is locked (``FOR UPDATE`` on PostgreSQL; SQLite has one writer) for
as short a time as possible, and a transaction that rolls back leaves no entry behind — nor does
an entry outlive the data it describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chartkeep.audit.entry import Entry, seal
from chartkeep.audit.table import COLUMNS, HEAD, LEDGER
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

READERS = ["role:admin", "role:auditor"]
_STAGED = "audit.staged"
CHUNK = 500  # rows per INSERT: well under both back-ends' bound-parameter limits


def stage(conn: Conn, entry: Entry) -> None:
    """Queue ``entry`` to be appended right before ``conn``'s transaction commits."""
    staged = conn.tx_values.get(_STAGED)
    if staged is None:
        staged = conn.tx_values[_STAGED] = []
        conn.before_commit.append(_flush)
    staged.append(entry)


async def _flush(conn: Conn) -> None:
    staged = conn.tx_values.pop(_STAGED, [])
    if staged:
        await append(conn, staged)


async def append(conn: Conn, entries: Iterable[Entry]) -> list[Entry]:
    """Chain and insert ``entries`` now, in ``conn``'s transaction."""
    entries = list(entries)
    if not entries:
        return entries
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    head = await conn.fetchrow(f'SELECT "seq", "hash" FROM {quote(HEAD)} WHERE "id" = 1{lock}')
    assert head is not None, "audit ledger head missing (run chartkeep init)"
    seq, prev = int(head[0]), str(head[1])
    now = now_ms()
    for entry in entries:
        entry.object_id = entry.object_id or new_object_id()
        entry.time = entry.time or now
        seq += 1
        prev = seal(entry, seq, prev)
    if conn.dialect.name == "postgresql" and len(entries) <= CHUNK:
        # one round trip: the rows and the new head together
        sql, params = _insert_sql(conn, entries)
        n = len(params)
        await conn.execute(f"WITH ins AS ({sql} RETURNING 1) UPDATE {quote(HEAD)} SET \"seq\" = ${n + 1}, "
                           f'"hash" = ${n + 2} WHERE "id" = 1', [*params, seq, prev])
        return entries
    await _insert(conn, entries)
    await conn.execute(f'UPDATE {quote(HEAD)} SET "seq" = {_p(conn, 1)}, "hash" = {_p(conn, 2)} WHERE "id" = 1',
                       [seq, prev])
    return entries


def _p(conn: Conn, n: int) -> str:
    return f"${n}" if conn.dialect.name == "postgresql" else "?"


def row_values(conn: Conn, entry: Entry) -> list[Any]:
    d = conn.dialect
    values = {
        "objectId": entry.object_id, "time": entry.time, "actor": entry.actor, "patient": entry.patient,
        "patientClass": entry.patient_class, "eventType": entry.event_type, "targetClass": entry.target_class,
        "targetId": entry.target_id, "outcome": entry.outcome, "details": entry.details,
        "metadata": entry.metadata, "ipAddress": entry.ip_address, "source": entry.source,
        "severity": entry.severity, "prevHash": entry.prev_hash, "hash": entry.hash,
    }
    out: list[Any] = [entry.seq]
    out += [None if values[n] is None else d.to_db(t, values[n]) for n, t in COLUMNS]
    out += [d.perm_to_db(READERS), d.perm_to_db([])]
    return out


async def _insert(conn: Conn, entries: list[Entry]) -> None:
    for start in range(0, len(entries), CHUNK):
        await _insert_chunk(conn, entries[start:start + CHUNK])


async def _insert_chunk(conn: Conn, entries: list[Entry]) -> None:
    sql, params = _insert_sql(conn, entries)
    await conn.execute(sql, params)


def _insert_sql(conn: Conn, entries: list[Entry]) -> tuple[str, list[Any]]:
    names = ["seq", *(n for n, _ in COLUMNS), "_rperm", "_wperm"]
    width = len(names)
    params: list[Any] = []
    groups = []
    for entry in entries:
        start = len(params)
        params += row_values(conn, entry)
        if conn.dialect.name == "postgresql":
            groups.append("(" + ", ".join(f"${start + i + 1}" for i in range(width)) + ")")
        else:
            groups.append("(" + ", ".join("?" * width) + ")")
    columns = ", ".join(quote(n) for n in names)
    return f"INSERT INTO {quote(LEDGER)} ({columns}) VALUES {', '.join(groups)}", params
