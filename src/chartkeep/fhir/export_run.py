"""Running a Bulk Data ``$export`` job under a lease, and taking over the jobs no process runs.

A runner holds the job's lease (``storage/queries/fhir_exports.py``) and renews it every third of
``fhir_export_lease_seconds``. It writes one encrypted NDJSON file per type, in the request's order,
and records each type in the row in the same conditional update that proves it still holds the
lease; a runner that lost its lease (the job was cancelled, or another process took it over after
the lease lapsed) stops and removes the file it was writing, so one job is never run twice at once.

Every process of the server looks for jobs in progress that nobody holds — at start-up and every
``fhir_export_sweep_seconds`` — and claims them: a process that stopped gave its jobs back
(released lease), one that died let its lease lapse. The new runner resumes after the last type
recorded; the files already written are kept. It reads as the job's owner with the owner's roles as
they are now. A job interrupted by a lapsed lease more than ``fhir_export_max_attempts`` times
ends ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from chartkeep.auth import file_links
from chartkeep.auth.roles import user_roles
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir import search
from chartkeep.fhir.export_job import COMPLETED, FAILED, MASTER, Job, Request, folder
from chartkeep.fhir.registry import RESOURCES
from chartkeep.storage import rows
from chartkeep.storage.file_crypto import Keyring
from chartkeep.storage.queries import fhir_exports as table

log = logging.getLogger("chartkeep.fhir.export")
PAGE = search.MAX_COUNT
RENEWALS = 3  # the lease is renewed this many times per lease period
Filter = tuple[str, str | None, str]


class LeaseLost(Exception):
    """The job is no longer this runner's: cancelled, or taken over by another process."""


class ExportFailed(Exception):
    """The job cannot go on (its owner is gone, or it was interrupted too often)."""


@dataclass
class _State:
    lost: bool = False


def new_lease(core: Core) -> tuple[str, float]:
    """A fresh lease token and its end, from now."""
    return secrets.token_hex(8), time.time() + core.settings.fhir_export_lease_seconds


def spawn(core: Core, job_id: str, lease: str, ctx: RequestContext | None) -> None:
    """Run a job this process holds the lease of, in the background (``ctx``: the caller at kick-off;
    None: a job taken over, read as its owner)."""
    core.background.spawn(_run(core, job_id, lease, ctx), f"fhir-export-{job_id}", resumable=True)


async def _run(core: Core, job_id: str, lease: str, ctx: RequestContext | None) -> None:
    runner = asyncio.current_task()
    assert runner is not None
    state = _State()
    keeper = asyncio.create_task(_keep_lease(core, job_id, lease, runner, state), name=f"fhir-export-lease-{job_id}")
    try:
        async with core.db.read() as conn:
            row = await table.get(conn, job_id)
        if row is None:
            return  # cancelled before it ran
        job = Job.from_row(row)
        await _export(core, ctx or await owner_context(core, job), job, lease)
        await _finish(core, job_id, lease, COMPLETED, None)
    except asyncio.CancelledError:
        if state.lost:
            await _lost(core, job_id)
            return
        # the process is stopping: give the job back so the next process resumes it at once
        with contextlib.suppress(Exception):
            await asyncio.shield(_release(core, job_id, lease))
        raise
    except LeaseLost:
        await _lost(core, job_id)
    except Exception as exc:  # noqa: BLE001 - a failed job says so in its status, never silently
        log.warning("FHIR export %s failed: %s", job_id, exc)
        await _finish(core, job_id, lease, FAILED, str(getattr(exc, "diagnostics", None) or exc))
    finally:
        keeper.cancel()


async def _keep_lease(core: Core, job_id: str, lease: str, runner: asyncio.Task[None], state: _State) -> None:
    every = core.settings.fhir_export_lease_seconds / RENEWALS
    while True:
        await asyncio.sleep(every)
        _, until = new_lease(core)
        try:
            async with core.db.transaction() as tx:
                held = await table.renew(tx, job_id, lease, until, time.time())
        except Exception:  # a database hiccup: try again; a lapsed lease shows at the next update
            log.exception("renewing the lease of FHIR export %s failed", job_id)
            continue
        if not held:
            state.lost = True
            runner.cancel()
            return


async def _finish(core: Core, job_id: str, lease: str, status: str, error: str | None) -> None:
    async with core.db.transaction() as tx:
        await table.finish(tx, job_id, lease, status, error, time.time())


async def _release(core: Core, job_id: str, lease: str) -> None:
    async with core.db.transaction() as tx:
        await table.release(tx, job_id, lease, time.time())


async def _lost(core: Core, job_id: str) -> None:
    """A cancelled job's folder goes (the canceller removed it; a runner may have made it again)."""
    async with core.db.read() as conn:
        gone = await table.get(conn, job_id) is None
    if gone:
        await asyncio.to_thread(shutil.rmtree, folder(core, job_id), True)


async def _export(core: Core, ctx: RequestContext, job: Job, lease: str) -> None:
    keyring = Keyring.from_settings(core.settings)
    place = folder(core, job.id)
    await asyncio.to_thread(_keep_only, place, {o["stored"] for o in job.output})
    request = job.request
    base: list[Filter] = [("_lastUpdated", None, f"ge{request.since}")] if request.since else []
    for index, type_name in enumerate(request.types):
        if index < job.done:
            continue  # written by an earlier run of the job
        lines = await _read_type(core, ctx, type_name, request, base)
        output = list(job.output)
        written = None
        if lines:
            name = f"{type_name}.ndjson"
            key_id, blob = keyring.encrypt(f"{job.id}/{name}", b"\n".join(lines) + b"\n")
            written = place / f"{name}.{lease}.{key_id}"  # this run's own file: a lost runner removes only its own
            await asyncio.to_thread(written.write_bytes, blob)
            output.append({"type": type_name, "file": name, "stored": written.name, "key": key_id, "count": len(lines)})
        _, until = new_lease(core)
        async with core.db.transaction() as tx:
            held = await table.progress(tx, job.id, lease, index + 1, job.resources + len(lines),
                                        orjson.dumps(output).decode(), until, time.time())
        if not held:
            if written is not None:
                written.unlink(missing_ok=True)
            raise LeaseLost(job.id)
        job.done, job.resources, job.output = index + 1, job.resources + len(lines), output


def _keep_only(place: Path, names: set[str]) -> None:
    """Make the job's folder, without the files of an interrupted run that no row names."""
    place.mkdir(parents=True, exist_ok=True)
    for found in place.iterdir():
        if found.name not in names:
            found.unlink(missing_ok=True)


async def _read_type(core: Core, ctx: RequestContext, type_name: str, request: Request,
                     base: list[Filter]) -> list[bytes]:
    lines: list[bytes] = []
    offset = 0
    compartment = _compartment(type_name, request.members)
    while compartment is not None:
        plan = search.Plan(count=PAGE, offset=offset)
        try:
            found, total, _ = await search.run(core, ctx, RESOURCES[type_name], plan,
                                               base_filters=[*base, *compartment])
        except ParseError as exc:
            if exc.code != Code.OPERATION_FORBIDDEN:
                raise
            break  # a class closed to the caller's role (the ledger to a clinician): no file
        lines += [orjson.dumps(r) for r in found]
        offset += plan.count
        if offset >= total or not found:
            break
    return lines


def _compartment(type_name: str, members: tuple[str, ...] | None) -> list[Filter] | None:
    """The filters that keep a group export to its members' compartments ([] for any other export;
    None when a group has no member, so nothing is read)."""
    if members is None:
        return []
    if not members:
        return None
    if type_name == "Patient":
        return [("_id", None, ",".join(members))]
    return [("patient", None, ",".join(f"Patient/{m}" for m in members))]


async def owner_context(core: Core, job: Job) -> RequestContext:
    """The job's owner as a caller: the master key, or the user with the roles they hold now."""
    ctx = RequestContext(app_id=core.settings.app_id, is_master=job.owner == MASTER,
                         client_ip=job.request.client_ip, base_url=job.request.base_url)
    ctx.file_link = file_links.link_maker(core.settings, ctx)
    if ctx.is_master:
        return ctx
    user_id = job.owner.removeprefix("user:")
    schema = core.registry.get("_User")
    assert schema is not None
    async with core.db.read() as conn:
        found = await rows.fetch_by(conn, schema, "objectId", user_id)
    if not found:
        raise ExportFailed("the user who asked for the export no longer exists")
    user = dict(found[0])
    user.pop("_hashed_password", None)
    ctx.user = user
    roles = await user_roles(core, user_id)
    ctx.roles, ctx.read_roles = roles.names, roles.read_names
    return ctx


async def take_over(core: Core) -> list[str]:
    """Claim every job in progress that no process holds and run it here; the ids claimed."""
    async with core.db.read() as conn:
        waiting = await table.claimable(conn, time.time())
    taken = []
    for job_id in waiting:
        lease, until = new_lease(core)
        async with core.db.transaction() as tx:
            if not await table.claim(tx, job_id, lease, until, time.time()):
                continue  # another process was quicker
            row = await table.get(tx, job_id)
            assert row is not None
            attempts = int(row["attempts"])
            if attempts > core.settings.fhir_export_max_attempts:
                await table.finish(tx, job_id, lease, FAILED,
                                   f"the export was interrupted {attempts - 1} times", time.time())
                continue
        log.info("FHIR export %s taken over by this process (%s)", job_id, Job.from_row(row).progress())
        spawn(core, job_id, lease, None)
        taken.append(job_id)
    return taken


async def watch(core: Core) -> None:
    """At start-up and every ``fhir_export_sweep_seconds`` (0: at start-up only): ``take_over``."""
    every = core.settings.fhir_export_sweep_seconds
    while True:
        try:
            await take_over(core)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next sweep tries again; the server keeps serving
            log.exception("looking for FHIR exports to take over failed")
        if every <= 0:
            return
        await asyncio.sleep(every)
