"""Appending to the ledger inside a transaction.

Entries are *staged* on the transaction while it runs and written just before its COMMIT: the head
rows of the chains they go to are locked (``FOR UPDATE`` on PostgreSQL, in chain order, in one
statement; SQLite has one writer) for as short a time as possible — a write to another chart's
chain does not wait — and a transaction that rolls back leaves no entry behind — nor does
an entry outlive the data it describes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from chartkeep import metrics
from chartkeep.audit.chains import key_hash, key_of
from chartkeep.audit.entry import Entry, seal
from chartkeep.audit.table import CHAINS, COLUMNS, LEDGER
from chartkeep.schema.dates import now_ms
from chartkeep.schema.ids import new_object_id
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

READERS = ["role:admin", "role:auditor"]
_STAGED = "audit.staged"
CHUNK = 500  # rows per INSERT: well under both back-ends' bound-parameter limits
_KNOWN = "audit.known_heads"  # conn.shared: {"count": chains, "heads": {chain: (position, hash)}}


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
    """Chain and insert ``entries`` now, in ``conn``'s transaction: each goes to its chain
    (``audit/chains.py``), after that chain's last entry."""
    entries = list(entries)
    if not entries:
        return entries
    started = time.perf_counter()
    try:
        return await _append(conn, entries)
    finally:
        metrics.ledger_appended(time.perf_counter() - started)


async def _append(conn: Conn, entries: list[Entry]) -> list[Entry]:
    now = now_ms()
    keys = []
    for entry in entries:
        entry.object_id = entry.object_id or new_object_id()
        entry.time = entry.time or now
        keys.append(key_hash(key_of(entry)))
    if conn.dialect.name == "postgresql" and len(entries) <= CHUNK and await _append_after_known_head(conn, entries,
                                                                                                      keys):
        return entries
    heads = await _lock_heads(conn, keys)
    count = len(heads) if conn.dialect.name == "sqlite" else int(next(iter(heads.values()))[2])
    moved: dict[int, tuple[int, str]] = {}
    for entry, key in zip(entries, keys, strict=True):
        chain = key % count + 1
        position, prev = moved.get(chain) or heads[chain][:2]
        moved[chain] = (position + 1, seal(entry, chain, position + 1, prev))
    chains = sorted(moved)
    if conn.dialect.name == "postgresql":
        known = conn.shared.setdefault(_KNOWN, {"count": count, "heads": {}})
        known["count"] = count
        known["heads"].update(moved)
    if conn.dialect.name == "postgresql" and len(entries) <= CHUNK:
        # one round trip: the rows and the new heads together
        sql, params = _insert_sql(conn, entries)
        n = len(params)
        await conn.execute(
            f'WITH ins AS ({sql} RETURNING 1) UPDATE {quote(CHAINS)} AS h SET "position" = v.p, "hash" = v.h '
            f"FROM unnest(${n + 1}::int[], ${n + 2}::bigint[], ${n + 3}::text[]) AS v(c, p, h) "
            'WHERE h."chain" = v.c',
            [*params, chains, [moved[c][0] for c in chains], [moved[c][1] for c in chains]])
        return entries
    await _insert(conn, entries)
    for chain in chains:
        await conn.execute(f'UPDATE {quote(CHAINS)} SET "position" = {_p(conn, 1)}, "hash" = {_p(conn, 2)} '
                           f'WHERE "chain" = {_p(conn, 3)}', [*moved[chain], chain])
    return entries


async def _append_after_known_head(conn: Conn, entries: list[Entry], keys: list[int]) -> bool:
    """PostgreSQL, entries of one chain whose head this process saw last: chain them after that
    head and, in ONE statement, move the head only if it is still there (``WHERE position = … AND
    hash = …``, re-checked by PostgreSQL after waiting for any transaction that holds the head row)
    and insert the rows only if the head moved. False, with nothing written, when the head has
    moved on meanwhile (another process, a rolled-back transaction): the caller then locks the
    heads and reads them. A stale hint costs a round trip; it can never fork a chain."""
    known = conn.shared.get(_KNOWN)
    if known is None:
        return False
    chains = {key % known["count"] + 1 for key in keys}
    if len(chains) != 1:
        return False  # several chains: locked in chain order by _lock_heads (no deadlock)
    chain = chains.pop()
    head = known["heads"].get(chain)
    if head is None:
        return False
    position, prev = head
    for entry in entries:
        position += 1
        prev = seal(entry, chain, position, prev)
    columns, groups, params = _values_sql(conn, entries, typed=True)
    n = len(params)
    moved, inserted = await conn.fetchrow(
        f'WITH moved AS (UPDATE {quote(CHAINS)} SET "position" = ${n + 1}, "hash" = ${n + 2} '
        f'WHERE "chain" = ${n + 3} AND "position" = ${n + 4} AND "hash" = ${n + 5} RETURNING 1), '
        f"ins AS (INSERT INTO {quote(LEDGER)} ({columns}) SELECT * FROM (VALUES {groups}) AS v "
        "WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1) "
        "SELECT (SELECT COUNT(*) FROM moved), (SELECT COUNT(*) FROM ins)",
        [*params, position, prev, chain, head[0], head[1]]) or (0, 0)
    if not moved:
        known["heads"].pop(chain, None)
        return False
    assert inserted == len(entries), "ledger rows not inserted after their head moved"
    known["heads"][chain] = (position, prev)
    return True


async def _lock_heads(conn: Conn, keys: list[int]) -> dict[int, tuple[int, str, int]]:
    """chain → (position, hash, number of chains) of the chains ``keys`` fall in. On PostgreSQL one
    statement locks those head rows, in chain order (two transactions touching the same chains
    take them in the same order: no deadlock); SQLite has one writer, so it reads every head."""
    if conn.dialect.name == "postgresql":
        rows = await conn.fetch(
            f'SELECT "chain", "position", "hash", (SELECT COUNT(*) FROM {quote(CHAINS)}) AS n FROM {quote(CHAINS)} '
            f'WHERE "chain" IN (SELECT k % (SELECT COUNT(*) FROM {quote(CHAINS)}) + 1 FROM unnest($1::bigint[]) '
            'AS k) ORDER BY "chain" FOR UPDATE', [list(set(keys))])
    else:
        rows = await conn.fetch(f'SELECT "chain", "position", "hash", 0 FROM {quote(CHAINS)}')
    assert rows, "audit ledger chains missing (run chartkeep init)"
    return {int(r[0]): (int(r[1]), str(r[2]), int(r[3])) for r in rows}


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
    out: list[Any] = [entry.chain, entry.position]
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
    columns, groups, params = _values_sql(conn, entries)
    return f"INSERT INTO {quote(LEDGER)} ({columns}) VALUES {groups}", params


def _values_sql(conn: Conn, entries: list[Entry], typed: bool = False) -> tuple[str, str, list[Any]]:
    """The ledger's column list, the VALUES rows of ``entries`` and their parameters. ``typed``
    (PostgreSQL): every parameter cast to its column's type, for VALUES read by a SELECT, where
    PostgreSQL cannot take the types from the INSERT's columns."""
    d = conn.dialect
    names = ["chain", "position", *(n for n, _ in COLUMNS), "_rperm", "_wperm"]
    types = ["integer", "bigint", *(d.column_type(t) for _, t in COLUMNS), d.perm_type, d.perm_type]
    width = len(names)
    params: list[Any] = []
    groups = []
    for entry in entries:
        start = len(params)
        params += row_values(conn, entry)
        if d.name == "postgresql":
            groups.append("(" + ", ".join(f"${start + i + 1}" + (f"::{types[i]}" if typed else "")
                                          for i in range(width)) + ")")
        else:
            groups.append("(" + ", ".join("?" * width) + ")")
    return ", ".join(quote(n) for n in names), ", ".join(groups), params
