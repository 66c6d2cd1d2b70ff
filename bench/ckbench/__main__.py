"""``python -m ckbench`` (run by ``bench/run.sh``): Chartkeep vs Parse Server, one after the other.

Phases: for each server (Chartkeep/PG in one process and as 2 workers, Parse/PG, Chartkeep/SQLite): fresh database → start → load
through REST (``--access careteam``: care-team roles and ACLs, 50 notes per chart; ``owner``: the
user-id ACLs of the first bench) → statements per operation (PostgreSQL servers: the server on a
counting relay, ``pgwire.py``) → restart (start-up time, RSS) → idle RSS → ``chart`` alone (RSS
after it) → each other operation alone → the mix at concurrency 16 and 64 → the mix without logins.
Then the asyncpg floor and the scale run (Chartkeep/PG, bulk-loaded: ``chart`` and
``Patient/$everything`` at each size; ``--only-scale`` runs it alone). Results: JSON and a Markdown
report in ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ckbench import access, floor, report, scale, servers
from ckbench.client import Api
from ckbench.loader import Dataset, load_dataset
from ckbench.pgstats import DbStatsMeter
from ckbench.pgwire import WireCounter
from ckbench.schemas import chartkeep_single_column_indexes, create_parse_schemas, mirror_indexes
from ckbench.workload import MIX, MIX_NO_LOGIN, OPS, CpuMeter, run_workload

ALL_SERVERS = ("chartkeep-pg", "chartkeep-pg-w2", "parse-pg", "chartkeep-sqlite")
ENCOUNTERS = 2  # per patient; in the careteam mode its team is the primary clinician + one per encounter
STATEMENT_CONCURRENCY = 8


def say(msg: str) -> None:
    print(msg, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ckbench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="short runs and a small data set (development)")
    p.add_argument("--servers", default=",".join(ALL_SERVERS), help="comma list of " + ", ".join(ALL_SERVERS))
    p.add_argument("--scratch", type=Path, default=Path(os.environ.get("BENCH_SCRATCH", "/tmp/chartkeep-bench")))
    p.add_argument("--out", type=Path, default=None, help="results folder (default SCRATCH/results)")
    p.add_argument("--db-prefix", default="bench",
                   help="PostgreSQL databases PREFIX_chartkeep, PREFIX_chartkeep_w2, PREFIX_parse, PREFIX_scale "
                        "(dropped and re-created)")
    p.add_argument("--chartkeep-port", type=int, default=1437)
    p.add_argument("--parse-port", type=int, default=1438)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                   help="Redis for chartkeep-pg-w2 (chartkeep serve --workers 2 needs it)")
    p.add_argument("--patients", type=int, default=None, help="patients loaded through REST (full 1000)")
    p.add_argument("--access", choices=access.MODES, default="careteam",
                   help="careteam: each patient's care team is a role, ACLs name it, every clinician on "
                        "--teams-per-clinician teams (what the templates do); owner: {clinicianId} ACLs")
    p.add_argument("--clinicians", type=int, default=None,
                   help="default: owner 20; careteam as many as put each on --teams-per-clinician teams of 3")
    p.add_argument("--teams-per-clinician", type=int, default=50)
    p.add_argument("--notes", type=int, default=None, help="notes per patient (careteam 50, owner 5)")
    p.add_argument("--versions", type=int, default=None, help="NoteVersions per note (careteam 1, owner 2)")
    p.add_argument("--signed", type=int, default=None, help="signed notes per patient (careteam 5, owner all)")
    p.add_argument("--no-statements", action="store_true",
                   help="skip the statements-per-operation pass (server on a counting relay)")
    p.add_argument("--statement-duration", type=float, default=None, help="seconds per op in that pass (full 8)")
    p.add_argument("--warmup", type=float, default=None, help="seconds before each recorded window")
    p.add_argument("--duration", type=float, default=None, help="seconds of each mixed run (full 30)")
    p.add_argument("--op-duration", type=float, default=None, help="seconds of each single-op run (full 15)")
    p.add_argument("--chart-duration", type=float, default=None, help="seconds of the chart-alone run (30)")
    p.add_argument("--idle", type=float, default=None, help="seconds idle before the idle RSS sample")
    p.add_argument("--concurrency", default="16,64", help="concurrency levels of the mixed runs")
    p.add_argument("--no-scale", action="store_true", help="skip the scale run")
    p.add_argument("--only-scale", action="store_true",
                   help="run only the scale run (no server comparison, floor or hash timing; no Parse install)")
    p.add_argument("--scale-db", default="bench_scale", help="the scale run's PostgreSQL database (dropped first)")
    p.add_argument("--scale-ops", default="chart,everything",
                   help="what the scale run measures at each size: chart, everything (Patient/$everything via FHIR)")
    p.add_argument("--no-floor", action="store_true", help="skip the asyncpg floor")
    p.add_argument("--no-ledger-check", action="store_true", help="skip the chart run with read auditing off")
    p.add_argument(
        "--scale-sizes",
        default=None,
        help="patients per scale stage, 5 notes each (full 1000,20000,200000; quick 1000,20000)",
    )
    args = p.parse_args(argv)
    full = not args.quick
    defaults = {
        "patients": 1000 if full else 200,
        "warmup": 5.0 if full else 2.0,
        "duration": 30.0 if full else 6.0,
        "op_duration": 15.0 if full else 4.0,
        "chart_duration": 30.0 if full else 6.0,
        "idle": 10.0 if full else 2.0,
        "scale_sizes": "1000,20000,200000" if full else "1000,20000",
        "statement_duration": 8.0 if full else 3.0,
    }
    careteam = args.access == "careteam"
    defaults["notes"] = 50 if careteam else 5
    defaults["versions"] = 1 if careteam else 2
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.signed is None:
        args.signed = 5 if careteam else args.notes
    if args.clinicians is None:
        args.clinicians = (
            access.clinicians_for(args.patients, ENCOUNTERS + 1, args.teams_per_clinician) if careteam else 20
        )
    args.out = args.out or args.scratch / "results"
    if args.only_scale and args.no_scale:
        p.error("--only-scale and --no-scale contradict each other")
    unknown = {o for o in args.scale_ops.split(",") if o} - {"chart", "everything"}
    if unknown:
        p.error(f"--scale-ops: unknown {', '.join(sorted(unknown))} (chart, everything)")
    return args


def versions(scratch: Path) -> dict[str, str]:
    import importlib.metadata as md

    def pkg(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "?"

    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"], capture_output=True, text=True
    ).stdout.strip()
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:  # the scale run alone needs no Node
        node = "?"
    git = subprocess.run(
        ["git", "-C", str(servers.REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores ({cpu}), {round(os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30)} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "chartkeep": f"{pkg('chartkeep')} (git {git})",
        "uvicorn": pkg("uvicorn"),
        "asyncpg": pkg("asyncpg"),
        "argon2-cffi": pkg("argon2-cffi"),
        "parse-server": servers.parse_version(scratch / "parse"),
        "node": node,
        "postgresql": pg,
        "client": f"aiohttp {pkg('aiohttp')}, uvloop {pkg('uvloop')}, orjson {pkg('orjson')}",
    }


def measure_hashes(scratch: Path) -> dict[str, str]:
    """Cost of one password check, in-process, for each server's hash."""
    from argon2 import PasswordHasher

    def timed(h: PasswordHasher, n: int = 12) -> tuple[float, float]:
        stored = h.hash("pw")
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            h.verify(stored, "pw")
        return (time.perf_counter() - w0) / n * 1000, (time.process_time() - c0) / n * 1000

    h = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)  # accounts/passwords.py
    wall, cpu = timed(h)
    out = {
        "chartkeep": f"argon2id t=2 m=19456 KiB p=1 (OWASP): {wall:.1f} ms wall, {cpu:.1f} ms CPU per verify "
        "(on a bounded hashing pool)",
    }
    script = (
        "const b=require('@node-rs/bcrypt');(async()=>{const s=await b.hash('pw',10);const n=20;"
        "const t=process.hrtime.bigint();for(let i=0;i<n;i++){await b.verify('pw',s);}"
        "console.log(Number(process.hrtime.bigint()-t)/1e6/n);})()"
    )
    try:
        ms = float(subprocess.run(["node", "-e", script], cwd=scratch, capture_output=True, text=True).stdout)
        out["parse"] = f"bcrypt cost 10 (@node-rs/bcrypt, Parse's native path): {ms:.1f} ms per verify, libuv pool"
    except ValueError:
        out["parse"] = "bcrypt cost 10 (could not time it here)"
    return out


async def bench_server(kind: str, args: argparse.Namespace, results: dict[str, Any]) -> None:
    work = args.scratch / "work"
    work.mkdir(parents=True, exist_ok=True)
    srv_results: dict[str, Any] = {"runs": {}}
    results["servers"][kind] = srv_results
    say(f"\n=== {kind} ===")
    if kind == "chartkeep-pg":
        await servers.recreate_database(f"{args.db_prefix}_chartkeep")
        server = servers.chartkeep_server(
            kind, args.chartkeep_port, servers.pg_url(f"{args.db_prefix}_chartkeep"), work, f"{args.db_prefix}_chartkeep"
        )
    elif kind == "chartkeep-pg-w2":  # the same server as chartkeep-pg, as two worker processes
        await servers.recreate_database(f"{args.db_prefix}_chartkeep_w2")
        server = servers.chartkeep_server(
            kind, args.chartkeep_port, servers.pg_url(f"{args.db_prefix}_chartkeep_w2"), work, f"{args.db_prefix}_chartkeep_w2",
            workers=2, redis_url=args.redis_url,
        )
    elif kind == "chartkeep-sqlite":
        server = servers.chartkeep_server(kind, args.chartkeep_port, servers.sqlite_reset(work), work, None)
    else:
        await servers.recreate_database(f"{args.db_prefix}_parse")
        server = servers.parse_server(args.parse_port, args.scratch / "parse", work, f"{args.db_prefix}_parse", False)

    try:
        first = await server.start()
        say(f"  first start (empty database): {first:.2f}s")
        async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=128) as api:
            if kind == "parse-pg":
                await create_parse_schemas(api)
                ck_url = servers.pg_url(f"{args.db_prefix}_chartkeep")
                if "chartkeep-pg" not in results["servers"]:
                    # Chartkeep's indexes are the reference: make its database once if this run skipped it.
                    await servers.recreate_database(f"{args.db_prefix}_chartkeep")
                    subprocess.run(
                        [sys.executable, "-m", "chartkeep", "init", "--database-url", ck_url, "--data-dir",
                         str(work / "init-data"), "--app-id", servers.APP_ID, "--master-key", servers.MASTER_KEY],
                        check=True, capture_output=True,
                    )  # fmt: skip
                made = await mirror_indexes(servers.pg_url(f"{args.db_prefix}_parse"), await chartkeep_single_column_indexes(ck_url))
                srv_results["indexes_added"] = made
                say(f"  schemas created; {len(made)} indexes mirrored from Chartkeep onto Parse's tables")
            say(f"  loading {args.patients} patients through REST /batch ({args.access} access) ...")
            t0 = time.perf_counter()
            ds = await load_dataset(
                api,
                patients=args.patients,
                clinicians=args.clinicians,
                encounters=ENCOUNTERS,
                notes=args.notes,
                versions=args.versions,
                signed=args.signed,
                mode=args.access,
                app_builds_teams=kind == "parse-pg",
                say=say,
            )
            load_s = time.perf_counter() - t0
            objects = sum(ds.counts.values()) + args.clinicians
            srv_results["load"] = {"seconds": load_s, "objects": objects, "counts": ds.counts,
                                   "access": args.access, "clinicians": args.clinicians, **ds.info}
            say(f"  loaded {objects} objects in {load_s:.1f}s")
        if server.db_name:
            await _analyze(server.db_name)

        server.stop()
        if server.db_name and not args.no_statements:
            srv_results["statements"] = await _statement_pass(server, ds, args)
        startup = await server.start()
        fp = {"first_start_s": first, "startup_s": startup, "rss_ready_mb": server.rss_ready_mb}
        srv_results["footprint"] = fp
        say(f"  restart: first /health after {startup:.3f}s, RSS {server.rss_ready_mb:.0f} MB")
        await asyncio.sleep(args.idle)
        fp["rss_idle_mb"] = server.rss_mb()
        say(f"  idle RSS {fp['rss_idle_mb']:.0f} MB")

        async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=128) as api:

            async def run(name: str, weights: dict[str, int], conc: int, duration: float) -> None:
                meter = CpuMeter(server.pid, server.db_name)
                db_meter = DbStatsMeter(servers.PG_ADMIN, server.db_name)
                res = await run_workload(
                    api, ds, weights, concurrency=conc, warmup=args.warmup, duration=duration, meter=meter,
                    db_meter=db_meter,
                )
                srv_results["runs"][name] = res
                t, cpu = res["total"], res["cpu"]
                per = report.per_op_cost(res)
                say(
                    f"  {name:<18} {t['ops_s']:8.1f} ops/s  p50 {t['p50_ms']:7.1f}  p99 {t['p99_ms']:7.1f} ms"
                    f"  err {t['errors']:<4} cpu client {cpu['client_pct']:.0f}% server {cpu.get('server_pct', 0):.0f}%"
                    f" pg {cpu['pg_pct']:.0f}% other {cpu['other_pct']:.0f}%"
                    f"  ms/op server {per['server_ms']:.2f} pg {per['pg_ms']:.2f}  xacts/op {per['xacts']:.1f}"
                    + (f"  {t['error_kinds']}" if t["errors"] else "")
                )

            await run("chart_c16", {"chart": 1}, 16, args.chart_duration)
            fp["rss_after_chart_mb"] = server.rss_mb()
            say(f"  RSS after chart load {fp['rss_after_chart_mb']:.0f} MB")
            if kind in ("chartkeep-pg", "chartkeep-sqlite") and not args.no_ledger_check:
                await _ledger_off_run(server, run, args)
            for op in ("write_note", "sign", "audit", "login"):
                await run(f"{op}_c16", {op: 1}, 16, args.op_duration)
            for conc in [int(c) for c in args.concurrency.split(",")]:
                await run(f"mix_c{conc}", MIX, conc, args.duration)
                await run(f"mix_nologin_c{conc}", MIX_NO_LOGIN, conc, args.duration)
            fp["rss_end_mb"] = server.rss_mb()
        if kind == "chartkeep-pg" and not args.no_floor:
            results["floor"] = await floor.run_floor(
                servers.pg_url(f"{args.db_prefix}_chartkeep"), ds, duration=args.op_duration, warmup=args.warmup
            )
    finally:
        server.stop()


async def _statement_pass(server: servers.Server, ds: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """Each operation alone with the server on the counting relay: what it sends PostgreSQL per
    operation (statements, parses, syncs). Its own pass, because the relay adds a hop."""
    out: dict[str, Any] = {}
    async with WireCounter() as wire:
        relayed = servers.via_port(server, wire.port)
        await relayed.start()
        try:
            async with Api(server.base, servers.APP_ID, servers.MASTER_KEY, connections=128) as api:
                for op in OPS:
                    if op == "everything" and server.kind == "parse-pg":
                        continue  # FHIR is Chartkeep's: Parse Server has no /fhir/R4
                    res = await run_workload(
                        api, ds, {op: 1}, concurrency=STATEMENT_CONCURRENCY, warmup=args.warmup,
                        duration=args.statement_duration, wire=wire,
                    )
                    ops = res["total"]["ops"]
                    counts = {k: v / ops for k, v in res.get("wire", {}).items()} if ops else {}
                    out[op] = {**counts, "ops": ops, "errors": res["total"]["errors"]}
                    say(f"  statements/op {op:<11} {counts.get('statements', float('nan')):6.1f}"
                        f"  parses {counts.get('parses', float('nan')):5.1f}  syncs {counts.get('syncs', float('nan')):5.1f}"
                        f"  ({ops} ops, {res['total']['errors']} errors)")
        finally:
            relayed.stop()
    return out


async def _ledger_off_run(server: Any, run: Any, args: argparse.Namespace) -> None:
    """Issue 4's check: the same chart load with read auditing off (``CHARTKEEP_AUDIT_READS=false``),
    then the server back as deployed. The ledger's cost is 1 - on/off."""
    server.stop()
    server.env = {**server.env, "CHARTKEEP_AUDIT_READS": "false"}
    await server.start()
    try:
        await run("chart_c16_ledger_off", {"chart": 1}, 16, args.chart_duration)
    finally:
        server.stop()
        server.env = {k: v for k, v in server.env.items() if k != "CHARTKEEP_AUDIT_READS"}
        await server.start()


async def _analyze(db: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(servers.pg_url(db))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "meta": versions(args.scratch),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "servers": {},
    }
    results["meta"]["mode"] = ("quick" if args.quick else "full") + (", scale only" if args.only_scale else "")
    if not args.only_scale:
        results["hash"] = measure_hashes(args.scratch / "parse")
    say("\n".join(f"{k}: {v}" for k, v in results["meta"].items()))
    wanted = [] if args.only_scale else [s.strip() for s in args.servers.split(",") if s.strip()]
    for kind in ALL_SERVERS:  # fixed order: Chartkeep/PG's indexes are mirrored onto Parse
        if kind in wanted:
            await bench_server(kind, args, results)
            _save(args, results)
    if not args.no_scale:
        results["scale"] = await scale.run_scale(args, say)
        _save(args, results)
    return results


def _save(args: argparse.Namespace, results: dict[str, Any]) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (args.out / "report.md").write_text(report.render(results))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        import uvloop

        results = uvloop.run(main_async(args))
    except ImportError:
        results = asyncio.run(main_async(args))
    results["meta"]["wall_s"] = round(time.perf_counter() - started)
    _save(args, results)
    print("\n" + report.render(results))
    say(f"results: {args.out / 'results.json'} and {args.out / 'report.md'} ({results['meta']['wall_s']}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
