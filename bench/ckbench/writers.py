"""Concurrent writers on different patients, and what their PostgreSQL backends wait on (issue 22).

    PYTHONPATH=bench .venv/bin/python -m ckbench.writers [--writers 1,8,32] [--duration 20]

One Chartkeep server (one process, PostgreSQL database ``bench_writers``, recreated), one clinician per
writer, each owning one patient: writer *i* writes notes (`write_note`: draft, version, version
bump) only on patient *i*, so no two writers touch the same chart and any waiting between them is
the server's own serialisation, not the data's. For each writer count: ops/s, latency, CPU per op
(server, PostgreSQL), and what the database's backends were doing, sampled from
``pg_stat_activity`` every ``--sample-ms`` (state ``active`` split by ``wait_event_type:wait_event``;
``CPU`` = active and not waiting). A lock convoy shows as ``Lock:transactionid`` / ``Lock:tuple``
samples growing with writers while ops/s stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

from ckbench import servers
from ckbench.client import Api
from ckbench.loader import Dataset, load_dataset
from ckbench.workload import CpuMeter, Ctx, _draft, run_workload

DB = "bench_writers"


async def sample_waits(db: str, stop: asyncio.Event, every: float, counts: Counter[str]) -> int:
    """Count (state, wait event) of the database's client backends until ``stop``; return samples."""
    conn = await asyncpg.connect(servers.pg_url("postgres"))
    samples = 0
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                " WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                db,
            )
            samples += 1
            for r in rows:
                if r["state"] != "active":
                    continue  # idle / idle in transaction: waiting on the server, not the database
                what = "CPU" if r["wait_event_type"] is None else f"{r['wait_event_type']}:{r['wait_event']}"
                counts[what] += 1
            await asyncio.sleep(every)
    finally:
        await conn.close()
    return samples


async def op_write_own_patient(c: Ctx) -> None:
    """``write_note`` on the worker's own patient (writer *i* writes only on patient *i*)."""
    patient = c.ds.patients[c.worker]
    clinician = c.ds.clinicians[patient.clinician]
    note_id, _ = await _draft(c, clinician, patient)
    await c.api.call("PUT", f"/classes/MedicalNote/{note_id}", {"currentVersionNumber": 1}, token=clinician.token)


class WaitMeter(CpuMeter):
    """CPU of the recorded window, and what the database's backends waited on during it."""

    def __init__(self, server: servers.Server, sample_every: float) -> None:
        super().__init__(server.pid, server.db_name)
        self.every = sample_every
        self.waits: Counter[str] = Counter()
        self.stop = asyncio.Event()
        self.sampler: asyncio.Task[int] | None = None

    def begin(self) -> None:
        super().begin()
        self.sampler = asyncio.create_task(sample_waits(DB, self.stop, self.every, self.waits))

    def end(self) -> dict[str, float]:
        self.stop.set()
        return super().end()


async def run_writers(api: Api, ds: Dataset, writers: int, warmup: float, duration: float,
                      server: servers.Server, sample_every: float) -> dict[str, Any]:
    meter = WaitMeter(server, sample_every)
    res = await run_workload(api, ds, {"write_note": 1}, concurrency=writers, warmup=warmup, duration=duration,
                             meter=meter, ops={"write_note": op_write_own_patient})
    assert meter.sampler is not None
    samples = await meter.sampler
    total, cpu, elapsed = res["total"], res["cpu"], res["duration_s"]
    ops = max(total["ops"], 1)
    waits = meter.waits
    active = sum(waits.values())
    return {
        "writers": writers,
        **total,
        "cpu": cpu,
        "server_ms_per_op": cpu.get("server_pct", 0.0) * elapsed * 10 / ops,
        "pg_ms_per_op": cpu["pg_pct"] * elapsed * 10 / ops,
        "samples": samples,
        "active_backends_mean": active / max(samples, 1),
        "waits_pct_of_active": {k: 100 * v / active for k, v in waits.most_common()} if active else {},
    }


def render(rows: list[dict[str, Any]], label: str) -> str:
    keys = sorted({k for r in rows for k in r["waits_pct_of_active"]},
                  key=lambda k: -max(r["waits_pct_of_active"].get(k, 0) for r in rows))[:8]
    head = ["writers", "ops/s", "p50 ms", "p99 ms", "err", "server ms/op", "PG ms/op", "machine %",
            "active backends", *keys]
    lines = [f"### {label}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["writers"], f"{r['ops_s']:.1f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", r["errors"],
                 f"{r['server_ms_per_op']:.2f}", f"{r['pg_ms_per_op']:.2f}", f"{r['cpu']['machine_pct']:.0f}",
                 f"{r['active_backends_mean']:.2f}"]
        cells += [f"{r['waits_pct_of_active'].get(k, 0):.0f} %" for k in keys]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    levels = [int(x) for x in args.writers.split(",")]
    work = args.scratch / "work"
    work.mkdir(parents=True, exist_ok=True)
    await servers.recreate_database(DB)
    server = servers.chartkeep_server("chartkeep-writers", args.port, servers.pg_url(DB), work, DB)
    rows = []
    try:
        await server.start()
        async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=256) as api:
            n = max(levels)
            ds = await load_dataset(api, patients=n, clinicians=n, encounters=2, notes=1, versions=1,
                                    say=lambda _m: None)
            for w in levels:
                row = await run_writers(api, ds, w, args.warmup, args.duration, server, args.sample_ms / 1000)
                rows.append(row)
                top = ", ".join(f"{k} {v:.0f}%" for k, v in list(row["waits_pct_of_active"].items())[:4])
                print(f"  {w:>3} writers: {row['ops_s']:7.1f} ops/s  p50 {row['p50_ms']:6.1f}  p99 {row['p99_ms']:6.1f} ms"
                      f"  err {row['errors']}  server {row['server_ms_per_op']:.2f} PG {row['pg_ms_per_op']:.2f} ms/op"
                      f"  machine {row['cpu']['machine_pct']:.0f}%  active {row['active_backends_mean']:.2f}  [{top}]",
                      flush=True)
    finally:
        server.stop()
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writers", default="1,8,32", help="comma list of concurrent writer counts")
    p.add_argument("--duration", type=float, default=20.0, help="recorded seconds per level")
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--sample-ms", type=float, default=10.0, help="pg_stat_activity sampling period")
    p.add_argument("--port", type=int, default=1437)
    p.add_argument("--label", default="Chartkeep", help="heading of the printed table")
    p.add_argument("--scratch", type=Path, default=Path("/tmp/chartkeep-bench"))
    p.add_argument("--out", type=Path, default=None, help="write results JSON and the table here")
    args = p.parse_args()
    rows = asyncio.run(main_async(args))
    table = render(rows, args.label)
    print("\n" + table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "writers.json").write_text(json.dumps(rows, indent=1))
        (args.out / "writers.md").write_text(table)


if __name__ == "__main__":
    main()
