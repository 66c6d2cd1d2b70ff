"""Walk every chain and check every checkpoint; name the first broken entry of each chain.

Within a chain each row must carry the next position, link to the previous row's hash (the first
row to the chain's genesis), hash to its own content and keep the auditors' read permission; the
last row must be the one the chain's head names, and no row may lie beyond it or outside the
chains. Every checkpoint's signature must match its content and the ledger's signing key, and each
head it signed must still be in its chain: a table and heads rewritten by someone without the key
break there. Chains are read concurrently, each on a connection of its own, in pages by position;
with ``processes`` > 1 the rows are decoded and hashed in a pool of processes, so a large ledger is
checked on every core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chartkeep.audit.append import READERS
from chartkeep.audit.chains import genesis
from chartkeep.audit.checkpoint import Checkpoint, load_all
from chartkeep.audit.entry import Entry, chain_hash
from chartkeep.audit.signing import signature_ok
from chartkeep.audit.table import CHAINS, COLUMNS, LEDGER
from chartkeep.schema.dates import iso_ms
from chartkeep.storage.database import Conn, Database, Row
from chartkeep.storage.dialect import Dialect, quote

PAGE = 2000
CONCURRENCY = 4  # chains read at once (SQLite has four reader connections)
POOL_FROM = 10_000  # rows from which verify hashes in other processes (starting them costs ~0.5 s)


@dataclass(slots=True)
class Broken:
    """The first wrong entry of a chain (or a checkpoint found wrong: ``chain`` None)."""

    problem: str
    chain: int | None = None
    position: int | None = None
    seq: int | None = None
    object_id: str | None = None

    def where(self) -> str:
        if self.chain is None:
            return "checkpoints"
        parts = [f"chain {self.chain}"] + ([f"position {self.position}"] if self.position is not None else [])
        if self.seq is not None:
            parts.append(f"seq {self.seq}")
        if self.object_id is not None:
            parts.append(f"objectId {self.object_id}")
        return ", ".join(parts)


@dataclass(slots=True)
class Report:
    rows: int = 0
    heads: list[tuple[int, int, str]] = field(default_factory=list)
    checkpoints: int = 0
    broken: list[Broken] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken

    @property
    def first(self) -> Broken | None:
        return self.broken[0] if self.broken else None

    @property
    def problem(self) -> str | None:
        return self.broken[0].problem if self.broken else None


Expected = dict[int, tuple[Checkpoint, str]]  # position → (checkpoint, the hash it signed)


@dataclass(slots=True, frozen=True)
class Link:
    """What the walk of a chain needs of one row; made where the row is decoded and hashed (in
    another process when verify runs with several)."""

    position: int
    seq: int
    object_id: str | None
    prev_hash: str
    hash: str
    intact: bool  # its content hashes to its hash
    readers_ok: bool  # auditors and admins, and no one else, may read it


def entry_from_row(conn: Conn, row: Row) -> Entry:
    return _entry(conn.dialect, dict(zip(row.keys(), tuple(row), strict=True)))


def links_of(dialect: Dialect, names: list[str], rows: list[tuple[Any, ...]]) -> list[Link]:
    out = []
    for values in rows:
        row = dict(zip(names, values, strict=True))
        e = _entry(dialect, row)
        out.append(Link(e.position, e.seq, e.object_id, e.prev_hash, e.hash,
                        e.hash == chain_hash(e.prev_hash, e.content()),
                        sorted(dialect.perm_from_db(row["_rperm"]) or []) == sorted(READERS)))
    return out


def _entry(d: Dialect, row: dict[str, Any]) -> Entry:
    v: dict[str, Any] = {n: (None if row[n] is None else d.from_db(t, row[n])) for n, t in COLUMNS}
    return Entry(
        event_type=v["eventType"], actor=v["actor"], patient=v["patient"], patient_class=v["patientClass"],
        target_class=v["targetClass"], target_id=v["targetId"], outcome=v["outcome"], details=v["details"],
        metadata=v["metadata"], ip_address=v["ipAddress"], source=v["source"], severity=v["severity"],
        object_id=v["objectId"], time=v["time"], seq=int(row["seq"]), prev_hash=v["prevHash"] or "",
        hash=v["hash"] or "", chain=int(row["chain"]) if "chain" in row else 0,
        position=int(row["position"]) if "position" in row else 0,
    )


async def verify(db: Database, progress: Callable[[int, int], None] | None = None,
                 trusted_key: str | None = None, shipped: Iterable[Checkpoint] = (), processes: int = 1) -> Report:
    """``progress(rows done, rows in all)``; ``trusted_key``: the signing key's public key (hex) every
    checkpoint must be signed with; ``shipped``: checkpoints read back from a sink, which must also
    be in the database; ``processes``: decode and hash the rows in that many processes (from
    ``POOL_FROM`` rows on), while the chains' pages are read concurrently here."""
    report = Report()
    async with db.read() as conn:
        report.heads = [(int(r[0]), int(r[1]), str(r[2])) for r in await conn.fetch(
            f'SELECT "chain", "position", "hash" FROM {quote(CHAINS)} ORDER BY "chain"')]
        stray = await _stray_row(conn, len(report.heads))
        stored = await load_all(conn)
    if stray:
        report.broken.append(stray)
    numbers = [c for c, _, _ in report.heads]
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
        report.broken.append(Broken(f"the head rows of chains {missing} were removed", missing[0] if missing else None))
    expected = _check_checkpoints(report, stored, list(shipped), trusted_key)
    total, done = sum(p for _, p, _ in report.heads), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    gate = asyncio.Semaphore(CONCURRENCY)
    pool = None
    if processes > 1 and total >= POOL_FROM:
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    loop = asyncio.get_running_loop()

    async def hashed(dialect: Dialect, names: list[str], rows: list[tuple[Any, ...]]) -> list[Link]:
        if pool is None:
            return links_of(dialect, names, rows)
        return await loop.run_in_executor(pool, links_of, dialect, names, rows)

    async def walk(chain: int, position: int, head: str) -> tuple[int, Broken | None]:
        async with gate, db.read() as conn:
            return await _walk(conn, chain, position, head, expected.get(chain, {}), advance, hashed)

    try:
        results = await asyncio.gather(*(walk(*h) for h in report.heads))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    report.rows = sum(n for n, _ in results)
    chain_problems = [b for _, b in results if b is not None]
    report.broken = chain_problems + report.broken
    return report


async def _stray_row(conn: Conn, chains: int) -> Broken | None:
    """A row outside every chain (its chain number changed, or forged with one that does not exist)."""
    p = "$1" if conn.dialect.name == "postgresql" else "?"
    row = await conn.fetchrow(
        f'SELECT "seq", "chain", "position", "objectId" FROM {quote(LEDGER)} WHERE "chain" < 1 OR "chain" > {p} '
        'ORDER BY "seq" LIMIT 1', [chains])
    if row is None:
        return None
    return Broken(f"row seq {row[0]} is in chain {row[1]}, which does not exist (the ledger has {chains})",
                  int(row[1]), int(row[2]), int(row[0]), str(row[3]))


def _check_checkpoints(report: Report, stored: list[Checkpoint], shipped: list[Checkpoint],
                       trusted_key: str | None) -> dict[int, Expected]:
    report.checkpoints = len(stored)
    if stored and trusted_key is None:
        report.notes.append("no signing key or public key here: checkpoint signatures were checked against the "
                            "public keys the checkpoints carry")
    kept = {(c.id, c.signature) for c in stored}
    for c in shipped:
        if (c.id, c.signature) not in kept:
            report.broken.append(Broken(f"checkpoint {c.id} of {iso_ms(c.time)}, shipped to a sink, is not in the "
                                        "database (removed or replaced)"))
    expected: dict[int, Expected] = {}
    chains = len(report.heads)
    for c in [*stored, *(c for c in shipped if (c.id, c.signature) not in kept)]:
        name = f"checkpoint {c.id} of {iso_ms(c.time)}"
        if not signature_ok(c.public_key, c.payload.encode(), c.signature):
            report.broken.append(Broken(f"{name}: its signature does not match its content (forged or changed)"))
            continue
        if trusted_key is not None and c.public_key != trusted_key:
            report.broken.append(Broken(f"{name} was signed by key {c.public_key[:16]}…, not the ledger's "
                                        f"signing key {trusted_key[:16]}…"))
            continue
        for chain, position, head in c.heads:
            if not 1 <= chain <= chains:
                report.broken.append(Broken(f"{name} names chain {chain}; the ledger has {chains}"))
                continue
            expected.setdefault(chain, {})[position] = (c, head)
    return expected


Hasher = Callable[[Dialect, list[str], list[tuple[Any, ...]]], Awaitable[list[Link]]]


async def _walk(conn: Conn, chain: int, head_position: int, head_hash: str, expected: Expected,
                advance: Callable[[int], None], hashed: Hasher) -> tuple[int, Broken | None]:
    columns = ["seq", "chain", "position", *(c for c, _ in COLUMNS), "_rperm"]
    names = ", ".join(quote(n) for n in columns)
    p = ["$1", "$2", "$3"] if conn.dialect.name == "postgresql" else ["?"] * 3
    prev, position, count, signed_at = genesis(chain), 0, 0, 0
    signed = expected.get(0)
    if signed is not None and signed[1] != prev:
        return 0, Broken(f"the start of the chain is not the one {_name(signed[0])} signed", chain, 0)
    while position < head_position:
        page = await conn.fetch(
            f'SELECT {names} FROM {quote(LEDGER)} WHERE "chain" = {p[0]} AND "position" > {p[1]} '
            f'AND "position" <= {p[2]} ORDER BY "position" LIMIT {PAGE}', [chain, position, head_position])
        if not page:
            break
        for entry in await hashed(conn.dialect, columns, [tuple(row) for row in page]):
            problem = _check(entry, position + 1, prev)
            if problem is not None:
                removed = entry.position > position + 1
                return count, Broken(problem, chain, position + 1 if removed else entry.position,
                                     None if removed else entry.seq, None if removed else entry.object_id)
            signed = expected.get(entry.position)
            if signed is not None:
                if signed[1] != entry.hash:
                    return count, Broken(
                        f"re-chained: {_name(signed[0])} signed another hash at this position; the change was "
                        f"made after position {signed_at}", chain, entry.position, entry.seq, entry.object_id)
                signed_at = entry.position
            prev, position, count = entry.hash, entry.position, count + 1
        advance(len(page))
    if position != head_position:
        return count, Broken(f"rows from position {position + 1} were removed (the chain's head names position "
                             f"{head_position})", chain, position + 1)
    if prev != head_hash:
        return count, Broken("the chain's head does not name its last row (head changed)", chain, position)
    beyond = [(pos, c) for pos, (c, _) in expected.items() if pos > head_position]
    if beyond:
        pos, c = min(beyond, key=lambda b: b[0])
        return count, Broken(f"{_name(c)} signed position {pos}, beyond the chain's head: rows were removed",
                             chain, pos)
    return count, await _beyond_head(conn, chain)


async def _beyond_head(conn: Conn, chain: int) -> Broken | None:
    """A row after the head (the head and the rows are written together: one is forged)."""
    pg = conn.dialect.name == "postgresql"
    p, params = ("$1", [chain]) if pg else ("?", [chain, chain])
    row = await conn.fetchrow(
        f'SELECT "seq", "position", "objectId" FROM {quote(LEDGER)} WHERE "chain" = {p} AND "position" > '
        f'(SELECT "position" FROM {quote(CHAINS)} WHERE "chain" = {p}) ORDER BY "position" LIMIT 1', params)
    if row is None:
        return None
    return Broken("row inserted after the chain's head (it is not linked from the head)", chain, int(row[1]),
                  int(row[0]), str(row[2]))


def _name(checkpoint: Checkpoint) -> str:
    return f"checkpoint {checkpoint.id} of {iso_ms(checkpoint.time)}"


def _check(link: Link, expected_position: int, prev: str) -> str | None:
    if link.position > expected_position:
        return f"rows at positions {expected_position}..{link.position - 1} were removed"
    if not link.intact:
        return "changed (its content no longer matches its hash)"
    if link.prev_hash != prev:
        return "inserted or re-chained (it does not link to the row before it)"
    if not link.readers_ok:
        return "its permissions were changed"
    return None
