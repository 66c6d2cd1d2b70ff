"""LiveQuery fan-out: Chartkeep vs Parse Server's LiveQuery, same machine, same subscriptions.

    PYTHONPATH=bench .venv/bin/python -m ckbench.live [--subscribers 1,100,1000,5000] [--rate 20]
                                                    [--seconds 10] [--servers chartkeep,chartkeep-w2,chartkeep-split,parse]

Chartkeep layouts: ``chartkeep`` one process; ``chartkeep-w2`` two worker processes on one port
(connections and REST spread over both; events cross through Redis); ``chartkeep-split`` REST on
one process and LiveQuery on another (its own port, as a Parse app points ``liveQueryServerURL``
at a separate LiveQuery server), events through Redis, so fan-out never shares REST's event loop.

Per server (PostgreSQL, fresh database): 20 clinicians; one ``LiveBench`` object readable by
all of them (ACL naming each, so every delivery is an ACL check). For each subscriber count N:
N WebSocket clients (``live_receiver``, its own process) connect with the clinicians' session
tokens (round robin) and subscribe to ``LiveBench``; a writer updates the object at ``--rate``
writes/s for ``--seconds`` through REST (``seq`` = write number) and stamps each write's
acknowledgement. Measured: latency from a write's acknowledgement to each client's receipt
(p50/p99), deliveries per second, server CPU per delivery (server process + children), and
the REST write rate achieved against the rate with no subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

import psutil

from ckbench.client import Api
from ckbench.loader import create_clinicians
from ckbench.servers import (
    APP_ID,
    MASTER_KEY,
    REPO,
    Server,
    chartkeep_server,
    parse_server,
    pg_url,
    recreate_database,
)

FIELDS = {"title": {"type": "String"}, "seq": {"type": "Number"}}


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process and its children."""
    proc = psutil.Process(pid)
    user, system = proc.cpu_times()[:2]
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            u, s = child.cpu_times()[:2]
            user, system = user + u, system + s
    return user, system


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def setup(api: Api) -> tuple[str, list[str]]:
    await api.call("POST", "/schemas/LiveBench", {"className": "LiveBench", "fields": FIELDS}, master=True)
    clinicians = await create_clinicians(api, 20, prefix="live")
    acl = {c.object_id: {"read": True, "write": True} for c in clinicians}
    made = await api.call("POST", "/classes/LiveBench", {"title": "bench", "seq": 0, "ACL": acl}, master=True)
    return made["objectId"], [c.token for c in clinicians if c.token]


async def write_loop(api: Api, object_id: str, token: str, rate: float, seconds: float, first: int
                     ) -> tuple[dict[int, float], float]:
    """Paced writes; returns {seq: ack wall time} and the achieved writes/s."""
    acks: dict[int, float] = {}
    start = time.perf_counter()
    n = 0
    while True:
        due = start + n / rate
        now = time.perf_counter()
        if now - start >= seconds:
            break
        if due > now:
            await asyncio.sleep(due - now)
        seq = first + n
        await api.call("PUT", f"/classes/LiveBench/{object_id}", {"seq": seq}, token=token)
        acks[seq] = time.time()
        n += 1
    return acks, n / (time.perf_counter() - start)


async def one_level(server: Server, live: Server, api: Api, object_id: str, tokens: list[str], n: int, args: argparse.Namespace,
                    first: int, work: Path) -> dict[str, Any]:
    out = work / f"recv-{server.kind}-{n}.bin"
    proc = None
    if n:
        tokens_file = work / "tokens.txt"
        tokens_file.write_text("\n".join(tokens))
        ws_url = live.base.replace("http://", "ws://")
        env = {**os.environ, "PYTHONPATH": str(REPO / "bench")}
        proc = subprocess.Popen([sys.executable, "-m", "ckbench.live_receiver", ws_url, APP_ID, str(tokens_file), str(n),
                                 str(out), args.receiver], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
        if not line.startswith("READY"):
            raise RuntimeError(f"receiver failed: {line}")
    pids = {server.pid, live.pid}
    sys0 = sum(cpu_times(pid)[1] for pid in pids)
    cpu0 = sum(cpu_seconds(pid) for pid in pids)
    acks, write_rate = await write_loop(api, object_id, tokens[0], args.rate, args.seconds, first)
    await asyncio.sleep(1.0 if n < 1000 else 3.0)  # let the fan-out drain
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu0
    system = sum(cpu_times(pid)[1] for pid in pids) - sys0
    result: dict[str, Any] = {"subscribers": n, "writes": len(acks), "write_rate": round(write_rate, 2)}
    if proc is not None:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("STOP\n")
        proc.stdin.flush()
        receiver_cpu = float(proc.stdout.readline().split()[2])
        proc.wait(60)
        with open(out, "rb") as f:
            count = array("i")
            count.fromfile(f, 1)
            seqs, times = array("i"), array("d")
            seqs.fromfile(f, count[0])
            times.fromfile(f, count[0])
        latencies = [(t - acks[s]) * 1000 for s, t in zip(seqs, times, strict=True) if s in acks]
        if os.environ.get("CKBENCH_PER_WRITE"):
            worst: dict[int, list[float]] = {}
            for s, t in zip(seqs, times, strict=True):
                if s in acks:
                    worst.setdefault(s, []).append((t - acks[s]) * 1000)
            for s in sorted(worst):
                v = sorted(worst[s])
                print(f"seq {s - first}: n={len(v)} min={v[0]:.0f} p50={v[len(v)//2]:.0f} max={v[-1]:.0f}", flush=True)
        span = (max(times) - min(acks.values())) if times else float("nan")
        expected = len(acks) * n
        result.update(
            deliveries=len(latencies),
            expected=expected,
            p50_ms=round(percentile(latencies, 0.50), 1),
            p99_ms=round(percentile(latencies, 0.99), 1),
            deliveries_per_s=round(len(latencies) / span) if span == span and span > 0 else None,
            cpu_us_per_delivery=round(cpu / len(latencies) * 1e6, 1) if latencies else None,
            client_cpu_us_per_delivery=round(receiver_cpu / len(latencies) * 1e6, 1) if latencies else None,
        )
    result["server_cpu_s"] = round(cpu, 2)
    result["server_system_share"] = round(system / cpu, 2) if cpu else None  # kernel time: mostly socket writes
    return result


async def bench(kind: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    db = f"bench_live_{kind.replace('-', '_')}"
    await recreate_database(db)
    port = 1438 if kind == "parse" else 1437
    live = None
    if kind == "chartkeep":
        server = chartkeep_server("chartkeep-pg", port, pg_url(db), work, db)
    elif kind == "chartkeep-w2":  # two worker processes sharing the port; events cross through Redis
        server = chartkeep_server("chartkeep-pg-w2", port, pg_url(db), work, db, workers=2)
    elif kind == "chartkeep-split":  # REST here, LiveQuery in a process of its own; events through Redis
        server = chartkeep_server("chartkeep-pg-rest", port, pg_url(db), work, db, redis_url=args.redis_url)
        live = chartkeep_server("chartkeep-pg-live", 1439, pg_url(db), work, db, redis_url=args.redis_url)
    else:
        server = parse_server(port, args.scratch / "parse", work, db, allow_class_creation=False)
        server.env["LIVE_QUERY_CLASSES"] = "LiveBench"
        # a copy of its own: the scratch folder's server.js is rewritten by every bench/run.sh
        shutil.copy(REPO / "bench/parse/server.js", args.scratch / "parse/server-live.js")
        server.command = ["node", "server-live.js"]
    await server.start()
    if live is not None:
        await live.start()
    rows = []
    try:
        async with Api(server.base, APP_ID, MASTER_KEY, connections=8) as api:
            object_id, tokens = await setup(api)
            first = 1
            for n in [0, *args.subscribers]:
                row = await one_level(server, live or server, api, object_id, tokens, n, args, first, work)
                first += row["writes"] + 1
                row["server"] = kind
                print(row, flush=True)
                rows.append(row)
    finally:
        server.stop()
        if live is not None:
            live.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1,100,1000,5000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", default="chartkeep,parse")
    parser.add_argument("--receiver", default="lean", choices=["lean", "aiohttp"],
                        help="the subscribers' client (ckbench/live_receiver.py)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="for chartkeep-w2 and chartkeep-split")
    parser.add_argument("--scratch", type=Path, default=Path(os.environ.get("BENCH_SCRATCH", "/tmp/chartkeep-bench")))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ck-live-"))
    results = []
    for kind in args.servers.split(","):
        results += asyncio.run(bench(kind, args, work))
    print("\n| server | subscribers | p50 ms | p99 ms | deliveries/s | server CPU µs/delivery "
          "| client CPU µs/delivery | REST writes/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['server']} | {r['subscribers']} | {r.get('p50_ms', '')} | {r.get('p99_ms', '')} | "
              f"{r.get('deliveries_per_s', '')} | {r.get('cpu_us_per_delivery', '')} | "
              f"{r.get('client_cpu_us_per_delivery', '')} | {r['write_rate']} |")


if __name__ == "__main__":
    main()
