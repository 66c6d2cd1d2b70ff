"""The measured workload: operations as an SDK app issues them, a closed-loop runner, statistics.

Every operation runs with a clinician's session token on a patient whose care team they are on (in
the ``owner`` access mode: one of their own patients), sending the ACLs an app sends. A run is
``concurrency`` workers, each issuing one operation after another (closed loop): warm-up first
(not recorded), then ``duration`` seconds recorded. CPU time of the client, the server process and
the PostgreSQL backends serving the server's database is sampled around the recorded window.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import psutil

from ckbench import access
from ckbench.client import Api, ApiError, acl_for, date, pointer
from ckbench.loader import PASSWORD, Dataset, Patient, now_iso
from ckbench.pgstats import DbStatsMeter
from ckbench.pgwire import WireCounter

Op = Callable[["Ctx"], Awaitable[None]]


@dataclass
class Ctx:
    api: Api
    ds: Dataset
    rng: random.Random
    worker: int = 0  # which of the run's concurrent workers this is

    def pick(self) -> tuple[int, int]:
        """A random patient (uniform) and a random clinician of its care team."""
        pi = self.rng.randrange(len(self.ds.patients))
        return self.rng.choice(self.ds.patients[pi].members()), pi

    def acl(self, class_name: str, p: Patient, user_id: str, signer: str | None = None) -> dict[str, Any]:
        """The ACL the app sends (Chartkeep replaces it on a chart class with the one it computes,
        which is the same in the careteam mode)."""
        if self.ds.access == "careteam":
            return access.team_acl(class_name, p.object_id, signer)
        return acl_for(user_id)


def _eq_pointer(class_name: str, object_id: str) -> str:
    return orjson.dumps({"patient": pointer(class_name, object_id)}).decode()


async def op_chart(c: Ctx) -> None:
    ci, pi = c.pick()
    token = c.ds.clinicians[ci].token
    pid = c.ds.patients[pi].object_id
    where = _eq_pointer("Patient", pid)
    await c.api.call("GET", f"/classes/Patient/{pid}", token=token)
    await c.api.call("GET", "/classes/Encounter", token=token, params={"where": where})
    notes = await c.api.call(
        "GET",
        "/classes/MedicalNote",
        token=token,
        params={"where": where, "order": "-createdAt", "include": "author", "limit": "50"},
    )
    if not notes["results"]:
        raise ApiError(200, "no notes in chart", "chart")


async def op_everything(c: Ctx) -> None:
    """``GET /fhir/R4/Patient/{id}/$everything`` with the clinician's session token as Bearer: the
    patient and every resource of the chart (Encounter, DocumentReference, Provenance) in one Bundle."""
    ci, pi = c.pick()
    bundle = await c.api.fhir(f"/Patient/{c.ds.patients[pi].object_id}/$everything", token=c.ds.clinicians[ci].token)
    returned = len(bundle.get("entry") or []) if isinstance(bundle, dict) else 0
    expected = c.ds.everything_resources
    if not returned or (expected and returned != expected):
        raise ApiError(200, {"code": f"{returned} resources, not {expected or 'any'}"}, "everything")


async def _draft(c: Ctx, cl: Any, p: Any) -> tuple[str, str]:
    """A new note and its first version, as the template's app writes them: (note id, version id)."""
    note = await c.api.call(
        "POST",
        "/classes/MedicalNote",
        {
            "patient": pointer("Patient", p.object_id),
            "encounter": pointer("Encounter", c.rng.choice(p.encounters)),
            "author": pointer("_User", cl.object_id),
            "title": "Progress note",
            "noteType": "progress",
            "currentVersionNumber": 0,
            "status": "draft",
            "ACL": c.acl("MedicalNote", p, cl.object_id),
        },
        token=cl.token,
    )
    version = await c.api.call(
        "POST",
        "/classes/NoteVersion",
        {
            "medicalNote": pointer("MedicalNote", note["objectId"]),
            "versionNumber": 1,
            "editor": pointer("_User", cl.object_id),
            "subjective": "Follow-up visit; symptoms improving.",
            "objective": "BP 122/80, HR 70.",
            "assessment": "Improving.",
            "plan": "Continue current plan.",
            "changeSummary": "initial",
            "ACL": c.acl("NoteVersion", p, cl.object_id),
        },
        token=cl.token,
    )
    return note["objectId"], version["objectId"]


async def op_write_note(c: Ctx) -> None:
    ci, pi = c.pick()
    cl = c.ds.clinicians[ci]
    note_id, _ = await _draft(c, cl, c.ds.patients[pi])
    await c.api.call("PUT", f"/classes/MedicalNote/{note_id}", {"currentVersionNumber": 1}, token=cl.token)


async def op_sign(c: Ctx) -> None:
    """A note written and signed by its author: draft, version, signature request, signature."""
    ci, pi = c.pick()
    cl, p = c.ds.clinicians[ci], c.ds.patients[pi]
    note_id, version_id = await _draft(c, cl, p)
    sig = await c.api.call(
        "POST",
        "/classes/Signature",
        {
            "medicalNote": pointer("MedicalNote", note_id),
            "noteVersion": pointer("NoteVersion", version_id),
            "signer": pointer("_User", cl.object_id),
            "signatureRole": "author",
            "status": "requested",
            "requestedAt": date(now_iso()),
            "ACL": c.acl("Signature", p, cl.object_id, signer=cl.object_id),
        },
        token=cl.token,
    )
    await c.api.call(
        "PUT",
        f"/classes/Signature/{sig['objectId']}",
        {"status": "signed", "signedAt": date(now_iso()), "comment": "reviewed"},
        token=cl.token,
    )


async def op_audit(c: Ctx) -> None:
    ci, pi = c.pick()
    cl = c.ds.clinicians[ci]
    pid = c.ds.patients[pi].object_id
    await c.api.call(
        "POST",
        "/classes/AuditEvent",
        {
            "actor": pointer("_User", cl.object_id),
            "patient": pointer("Patient", pid),
            "eventType": "chart.view",
            "targetClass": "Patient",
            "targetId": pid,
            "details": "opened chart",
            "ipAddress": "127.0.0.1",
            "timestamp": date(now_iso()),
            "ACL": acl_for(cl.object_id),
        },
        token=cl.token,
    )


async def op_login(c: Ctx) -> None:
    cl = c.ds.clinicians[c.rng.randrange(len(c.ds.clinicians))]
    found = await c.api.call("POST", "/login", {"username": cl.username, "password": PASSWORD})
    if not found.get("sessionToken"):
        raise ApiError(200, "no sessionToken", "login")


OPS: dict[str, Op] = {
    "chart": op_chart,
    "write_note": op_write_note,
    "sign": op_sign,
    "audit": op_audit,
    "login": op_login,
    "everything": op_everything,
}
MIX = {"chart": 60, "write_note": 15, "sign": 10, "audit": 10, "login": 5}
MIX_NO_LOGIN = {k: v for k, v in MIX.items() if k != "login"}


@dataclass
class OpStats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def summarize(stats: OpStats, duration: float) -> dict[str, Any]:
    lat = sorted(stats.latencies)
    return {
        "ops": len(lat),
        "ops_s": len(lat) / duration,
        "p50_ms": percentile(lat, 50) * 1000,
        "p95_ms": percentile(lat, 95) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "errors": stats.errors,
        "error_kinds": stats.error_kinds,
    }


class CpuMeter:
    """CPU seconds of the client, the server (and its children) and the PostgreSQL backends of a db."""

    def __init__(self, server_pid: int | None, db_name: str | None) -> None:
        self.server_pid = server_pid
        self.db_name = db_name
        self.start: dict[str, Any] = {}

    @staticmethod
    def _cpu(proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system

    def _pg_backends(self) -> dict[int, float]:
        out: dict[int, float] = {}
        if not self.db_name:
            return out
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                cmd = " ".join(proc.info["cmdline"] or [])
                if cmd.startswith("postgres: ") and f" {self.db_name} " in cmd:
                    out[proc.pid] = self._cpu(proc)
            except psutil.Error:
                continue
        return out

    def snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = {"client": self._cpu(psutil.Process(os.getpid()))}
        if self.server_pid:
            proc = psutil.Process(self.server_pid)
            snap["server"] = self._cpu(proc) + sum(
                self._cpu(ch) for ch in proc.children(recursive=True) if ch.is_running()
            )
        snap["pg"] = self._pg_backends()
        total = psutil.cpu_times()
        snap["machine_busy"] = sum(total) - total.idle - getattr(total, "iowait", 0.0)
        snap["t"] = time.perf_counter()
        return snap

    def begin(self) -> None:
        self.start = self.snapshot()

    def end(self) -> dict[str, float]:
        end = self.snapshot()
        wall = end["t"] - self.start["t"]
        pg = sum(v - self.start["pg"].get(pid, 0.0) for pid, v in end["pg"].items())
        out = {
            "client_pct": 100 * (end["client"] - self.start["client"]) / wall,
            "pg_pct": 100 * pg / wall,
            "machine_pct": 100 * (end["machine_busy"] - self.start["machine_busy"]) / wall,
            "cores": psutil.cpu_count() or 0,
        }
        if "server" in end:
            out["server_pct"] = 100 * (end["server"] - self.start["server"]) / wall
        out["other_pct"] = out["machine_pct"] - out["client_pct"] - out["pg_pct"] - out.get("server_pct", 0.0)
        return out


async def run_workload(
    api: Api,
    ds: Dataset,
    weights: dict[str, int],
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    meter: CpuMeter | None = None,
    db_meter: DbStatsMeter | None = None,
    wire: WireCounter | None = None,
    seed: int = 1,
    ops: dict[str, Op] | None = None,
) -> dict[str, Any]:
    """``db_meter``: pg_stat_database deltas of the window (``pg``); ``wire``: protocol messages the
    server sent PostgreSQL in the window (``wire``, when it runs through the relay)."""
    ops = ops or OPS
    names = list(weights)
    cum = list(weights.values())
    stats = {n: OpStats() for n in names}
    total = OpStats()
    state = {"recording": False, "stop": False}

    async def worker(w: int) -> None:
        ctx = Ctx(api, ds, random.Random(seed * 1000 + w), worker=w)
        rng = ctx.rng
        while not state["stop"]:
            name = rng.choices(names, cum)[0] if len(names) > 1 else names[0]
            recording = state["recording"]
            t0 = time.perf_counter()
            try:
                await ops[name](ctx)
                ok, kind = True, ""
            except ApiError as exc:
                ok, kind = False, exc.kind
            except Exception as exc:  # noqa: BLE001 - connection errors etc. count as errors
                ok, kind = False, type(exc).__name__
            elapsed = time.perf_counter() - t0
            if recording and state["recording"]:
                target = stats[name]
                for s in (target, total):
                    if ok:
                        s.latencies.append(elapsed)
                    else:
                        s.errors += 1
                        s.error_kinds[kind] = s.error_kinds.get(kind, 0) + 1

    tasks = [asyncio.create_task(worker(w)) for w in range(concurrency)]
    await asyncio.sleep(warmup)
    if db_meter:
        await db_meter.begin()
    wire_start = wire.snapshot() if wire else None
    if meter:
        meter.begin()
    state["recording"] = True
    t0 = time.perf_counter()
    await asyncio.sleep(duration)
    state["recording"] = False
    elapsed = time.perf_counter() - t0
    cpu = meter.end() if meter else {}
    wire_counts = wire.since(wire_start) if wire and wire_start is not None else {}
    pg = await db_meter.end() if db_meter else {}
    state["stop"] = True
    await asyncio.gather(*tasks)
    out: dict[str, Any] = {
        "concurrency": concurrency,
        "duration_s": elapsed,
        "total": summarize(total, elapsed),
        "per_op": {n: summarize(s, elapsed) for n, s in stats.items()},
        "cpu": cpu,
    }
    if pg:
        out["pg"] = pg
    if wire_counts:
        out["wire"] = wire_counts
    return out
