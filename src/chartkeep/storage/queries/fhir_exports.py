"""``_FhirExport`` rows: Bulk Data ``$export`` jobs (fhir/export.py, fhir/export_run.py).

A job is ``in-progress`` until it is ``completed`` or ``failed`` (a cancelled job's row is deleted).
The process running it holds a *lease*: a random token in ``lease`` and its end in ``leaseUntil``
(epoch seconds). Every change a runner makes is conditional on still holding the lease, so two
processes never run one job at once; a job whose lease lapsed (its process died) or was released
(its process stopped) is claimed by the next process that looks. ``attempts`` counts the runs a
lapsed lease interrupted, so a job that kills its process each time ends ``failed``.
"""

from __future__ import annotations

from typing import Any

from chartkeep.storage.database import Conn, Row
from chartkeep.storage.dialect import quote
from chartkeep.storage.internal import FHIR_EXPORT

TABLE = quote(FHIR_EXPORT)
IN_PROGRESS = "in-progress"
COLUMNS = ('"objectId", "owner", "request", "status", "transactionTime", "done", "resources", "output", "error", '
           '"lease", "leaseUntil", "attempts", "createdAt", "updatedAt"')
_NAMES = [c.strip().strip('"') for c in COLUMNS.split(",")]


async def insert(conn: Conn, values: dict[str, Any]) -> None:
    p = conn.dialect.placeholder
    await conn.execute(
        f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({', '.join(p(i + 1) for i in range(len(_NAMES)))})",
        [values.get(n) for n in _NAMES],
    )


async def get(conn: Conn, job_id: str) -> Row | None:
    p = conn.dialect.placeholder
    return await conn.fetchrow(f'SELECT {COLUMNS} FROM {TABLE} WHERE "objectId" = {p(1)}', [job_id])


async def claimable(conn: Conn, now: float, limit: int = 20) -> list[str]:
    """Jobs in progress that no process holds: a lease released, or lapsed before ``now``."""
    p = conn.dialect.placeholder
    found = await conn.fetch(
        f'SELECT "objectId" FROM {TABLE} WHERE "status" = {p(1)} AND ("leaseUntil" IS NULL OR "leaseUntil" < {p(2)}) '
        f'ORDER BY "createdAt" LIMIT {int(limit)}',
        [IN_PROGRESS, now],
    )
    return [str(r[0]) for r in found]


async def claim(conn: Conn, job_id: str, lease: str, until: float, now: float) -> bool:
    """Take a job no process holds; False when another process holds it (or it ended)."""
    p = conn.dialect.placeholder
    done = await conn.execute(
        f'UPDATE {TABLE} SET "lease" = {p(1)}, "leaseUntil" = {p(2)}, "updatedAt" = {p(3)}, '
        f'"attempts" = "attempts" + CASE WHEN "lease" IS NULL THEN 0 ELSE 1 END '
        f'WHERE "objectId" = {p(4)} AND "status" = {p(5)} AND ("leaseUntil" IS NULL OR "leaseUntil" < {p(6)})',
        [lease, until, now, job_id, IN_PROGRESS, now],
    )
    return done == 1


async def renew(conn: Conn, job_id: str, lease: str, until: float, now: float) -> bool:
    """Extend the lease; False when it is no longer this runner's (taken over, or the job cancelled)."""
    p = conn.dialect.placeholder
    done = await conn.execute(
        f'UPDATE {TABLE} SET "leaseUntil" = {p(1)}, "updatedAt" = {p(2)} '
        f'WHERE "objectId" = {p(3)} AND "lease" = {p(4)} AND "status" = {p(5)}',
        [until, now, job_id, lease, IN_PROGRESS],
    )
    return done == 1


async def progress(conn: Conn, job_id: str, lease: str, done: int, resources: int, output: str, until: float,
                   now: float) -> bool:
    """Record one more type written (and extend the lease); False when the lease is lost."""
    p = conn.dialect.placeholder
    changed = await conn.execute(
        f'UPDATE {TABLE} SET "done" = {p(1)}, "resources" = {p(2)}, "output" = {p(3)}, "leaseUntil" = {p(4)}, '
        f'"updatedAt" = {p(5)} WHERE "objectId" = {p(6)} AND "lease" = {p(7)} AND "status" = {p(8)}',
        [done, resources, output, until, now, job_id, lease, IN_PROGRESS],
    )
    return changed == 1


async def finish(conn: Conn, job_id: str, lease: str, status: str, error: str | None, now: float) -> bool:
    """End the job (``completed`` or ``failed``) and drop its lease; False when the lease is lost."""
    p = conn.dialect.placeholder
    changed = await conn.execute(
        f'UPDATE {TABLE} SET "status" = {p(1)}, "error" = {p(2)}, "lease" = NULL, "leaseUntil" = NULL, '
        f'"updatedAt" = {p(3)} WHERE "objectId" = {p(4)} AND "lease" = {p(5)} AND "status" = {p(6)}',
        [status, error, now, job_id, lease, IN_PROGRESS],
    )
    return changed == 1


async def release(conn: Conn, job_id: str, lease: str, now: float) -> bool:
    """Give the job back (the process is stopping): the next process that looks claims it at once."""
    p = conn.dialect.placeholder
    changed = await conn.execute(
        f'UPDATE {TABLE} SET "lease" = NULL, "leaseUntil" = NULL, "updatedAt" = {p(1)} '
        f'WHERE "objectId" = {p(2)} AND "lease" = {p(3)} AND "status" = {p(4)}',
        [now, job_id, lease, IN_PROGRESS],
    )
    return changed == 1


async def delete(conn: Conn, job_id: str, owner: str) -> bool:
    p = conn.dialect.placeholder
    return await conn.execute(f'DELETE FROM {TABLE} WHERE "objectId" = {p(1)} AND "owner" = {p(2)}',
                              [job_id, owner]) == 1
