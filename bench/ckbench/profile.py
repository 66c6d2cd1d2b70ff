"""Profile Chartkeep under a workload with py-spy: ``PYTHONPATH=bench .venv/bin/python -m ckbench.profile``.

Runs after a bench run (it reuses the ``bench_chartkeep`` database the run loaded): starts
``chartkeep serve`` on it, logs the clinicians in, runs one operation (default ``chart``) at
concurrency 16 while ``py-spy record`` samples the server, then prints the functions with the most
samples (self and cumulative). The raw collapsed stacks stay in SCRATCH/profile-<op>.txt (load them
into speedscope or flamegraph.pl for a picture).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from ckbench import servers
from ckbench.client import Api
from ckbench.loader import Clinician, Dataset, Patient, login
from ckbench.workload import MIX_NO_LOGIN, run_workload


async def dataset_from_db(api: Api, url: str) -> Dataset:
    conn = await asyncpg.connect(url)
    try:
        users = await conn.fetch('SELECT "objectId", username FROM "_User" WHERE role = \'physician\' ORDER BY username')
        index = {u["objectId"]: i for i, u in enumerate(users)}
        ds = Dataset(clinicians=[Clinician(u["objectId"], u["username"]) for u in users])
        encounters: dict[str, list[str]] = collections.defaultdict(list)
        for r in await conn.fetch('SELECT "objectId", patient FROM "Encounter"'):
            encounters[r["patient"]].append(r["objectId"])
        for r in await conn.fetch('SELECT "objectId", "primaryClinician" FROM "Patient" ORDER BY "createdAt"'):
            ds.patients.append(Patient(r["objectId"], index[r["primaryClinician"]], encounters[r["objectId"]]))
        rows = await conn.fetch(
            'SELECT DISTINCT ON (v."medicalNote") v."medicalNote", v."objectId", n.author FROM "NoteVersion" v '
            'JOIN "MedicalNote" n ON n."objectId" = v."medicalNote" ORDER BY v."medicalNote", v."versionNumber" DESC'
        )
        ds.notes = [(r["medicalNote"], r["objectId"], index[r["author"]]) for r in rows]
    finally:
        await conn.close()
    await asyncio.gather(*(login(api, c) for c in ds.clinicians))
    return ds


def top(path: Path, n: int = 25) -> str:
    self_count: collections.Counter[str] = collections.Counter()
    cum_count: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        k = int(count)
        total += k
        frames = stack.split(";")
        self_count[frames[-1]] += k
        for frame in set(frames):
            cum_count[frame] += k
    out = [f"{total} samples", "", "self %  function"]
    out += [f"{100 * c / total:5.1f}  {f}" for f, c in self_count.most_common(n)]
    out += ["", "cumulative %  function"]
    out += [f"{100 * c / total:5.1f}  {f}" for f, c in cum_count.most_common(n)]
    return "\n".join(out)


async def main(args: argparse.Namespace) -> None:
    work = args.scratch / "work"
    server = servers.chartkeep_server(
        "chartkeep-profile", args.port, servers.pg_url("bench_chartkeep"), work, "bench_chartkeep"
    )
    await server.start()
    out = args.scratch / f"profile-{args.op}.txt"
    try:
        async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=64) as api:
            ds = await dataset_from_db(api, servers.pg_url("bench_chartkeep"))
            spy = Path(sys.executable).with_name("py-spy")
            weights = MIX_NO_LOGIN if args.op == "mix_nologin" else {args.op: 1}
            rec = subprocess.Popen(
                [str(spy), "record", "--pid", str(server.pid), "--duration", str(int(args.seconds) + 2),
                 "--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            res = await run_workload(api, ds, weights, concurrency=16, warmup=1, duration=args.seconds)
            rec.wait()
            t = res["total"]
            print(f"{args.op} c16: {t['ops_s']:.1f} ops/s p50 {t['p50_ms']:.1f} ms errors {t['errors']} cpu {res['cpu']}")
    finally:
        server.stop()
    print(top(out))


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="ckbench.profile")
    p.add_argument("--op", default="chart", help="chart, write_note, sign, audit, login or mix_nologin")
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--port", type=int, default=1437)
    p.add_argument("--scratch", type=Path, default=Path(os.environ.get("BENCH_SCRATCH", "/tmp/chartkeep-bench")))
    asyncio.run(main(p.parse_args()))
