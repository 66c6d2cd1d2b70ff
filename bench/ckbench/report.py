"""Markdown tables from the results JSON (printed at the end of a run; pasted into docs)."""

from __future__ import annotations

import math
from typing import Any

SERVER_NAMES = {"chartkeep-pg": "Chartkeep/PG", "chartkeep-pg-w2": "Chartkeep/PG, 2 workers", "parse-pg": "Parse/PG",
                "chartkeep-sqlite": "Chartkeep/SQLite"}


def table(headers: list[str], rows: list[list[Any]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            if math.isnan(v):
                return "–"
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> float:
    if not a or not b:
        return float("nan")
    return a / b


def per_op_cost(run: dict[str, Any]) -> dict[str, float]:
    """A run's cost per completed operation: server and PostgreSQL CPU ms, and PostgreSQL's
    counters (``pg``: transactions, rows read/fetched/written, buffer blocks)."""
    nan = float("nan")
    t, cpu, pg = run["total"], run.get("cpu", {}), run.get("pg", {})
    ops_s, ops = t.get("ops_s") or 0, t.get("ops") or 0
    out = {
        "server_ms": cpu["server_pct"] / 100 / ops_s * 1000 if ops_s and "server_pct" in cpu else nan,
        "pg_ms": cpu["pg_pct"] / 100 / ops_s * 1000 if ops_s and "pg_pct" in cpu else nan,
    }
    for key in ("xacts", "rows_read", "rows_fetched", "rows_written", "blocks"):
        out[key] = pg[key] / ops if ops and key in pg else nan
    return out


def runs_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, srv in results.get("servers", {}).items():
        for run_name, run in srv.get("runs", {}).items():
            t = run["total"]
            cpu = run.get("cpu", {})
            per = per_op_cost(run)
            rows.append(
                [
                    SERVER_NAMES.get(kind, kind),
                    run_name,
                    t["ops_s"],
                    t["p50_ms"],
                    t["p95_ms"],
                    t["p99_ms"],
                    t["errors"],
                    cpu.get("client_pct", float("nan")),
                    cpu.get("server_pct", float("nan")),
                    cpu.get("pg_pct", float("nan")),
                    cpu.get("other_pct", float("nan")),
                    per["server_ms"],
                    per["pg_ms"],
                    per["xacts"],
                    per["rows_read"] + per["rows_fetched"],
                    per["rows_written"],
                ]
            )
    return table(
        [
            "server",
            "run",
            "ops/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "client CPU %",
            "server CPU %",
            "PG CPU %",
            "other CPU %",
            "server CPU ms/op",
            "PG CPU ms/op",
            "PG xacts/op",
            "PG rows read/op",
            "PG rows written/op",
        ],
        rows,
    )


def statements_table(results: dict[str, Any]) -> str:
    """What each server sends PostgreSQL per operation (wire count, the statements pass), next to
    the CPU per operation of the same operation run alone."""
    rows = []
    for kind, srv in results.get("servers", {}).items():
        for op, s in srv.get("statements", {}).items():
            alone = srv.get("runs", {}).get(f"{op}_c16")
            per = per_op_cost(alone) if alone else {}
            rows.append([
                SERVER_NAMES.get(kind, kind), op, s.get("statements", float("nan")), s.get("parses", float("nan")),
                s.get("syncs", float("nan")), per.get("xacts", float("nan")), per.get("server_ms", float("nan")),
                per.get("pg_ms", float("nan")), s.get("errors", 0),
            ])
    if not rows:
        return "(no statements pass)"
    return table(["server", "op", "statements/op", "parses/op", "syncs/op", "PG xacts/op (alone, c16)",
                  "server CPU ms/op", "PG CPU ms/op", "errors (pass)"], rows)


def access_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, srv in results.get("servers", {}).items():
        ld = srv.get("load")
        if ld:
            per = ld.get("teams_per_clinician")
            rows.append([SERVER_NAMES.get(kind, kind), ld.get("access", "owner"), ld.get("clinicians", "?"),
                         ld.get("team_size", 1), f"{per[0]}–{per[1]}" if per else "–",
                         ld["counts"].get("MedicalNote", 0) // max(1, ld["counts"].get("Patient", 1))])
    return table(["server", "access", "clinicians", "team size", "teams per clinician", "notes per patient"], rows)


def per_op_table(results: dict[str, Any], run_name: str) -> str:
    """Per-operation figures inside one mixed run, every server side by side."""
    rows = []
    for kind, srv in results.get("servers", {}).items():
        run = srv.get("runs", {}).get(run_name)
        if not run:
            continue
        for op, s in run["per_op"].items():
            rows.append(
                [SERVER_NAMES.get(kind, kind), op, s["ops_s"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["errors"]]
            )
    return table(["server", "op", "ops/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


def ratio_table(results: dict[str, Any], base: str = "parse-pg") -> str:
    servers = results.get("servers", {})
    if base not in servers:
        return "(no Parse run: no ratios)"
    rows = []
    for kind, srv in servers.items():
        if kind == base:
            continue
        for run_name, run in srv.get("runs", {}).items():
            other = servers[base].get("runs", {}).get(run_name)
            if not other:
                continue
            a, b = run["total"], other["total"]
            rows.append(
                [
                    f"{SERVER_NAMES.get(kind, kind)} / Parse/PG",
                    run_name,
                    _ratio(a["ops_s"], b["ops_s"]),
                    _ratio(a["p50_ms"], b["p50_ms"]),
                    _ratio(a["p99_ms"], b["p99_ms"]),
                    f"{a['errors']} / {b['errors']}",
                ]
            )
    return table(["ratio", "run", "ops/s ×", "p50 ×", "p99 ×", "errors (them / Parse)"], rows)


def footprint_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, srv in results.get("servers", {}).items():
        fp = srv.get("footprint", {})
        if fp:
            rows.append(
                [
                    SERVER_NAMES.get(kind, kind),
                    fp.get("first_start_s", float("nan")),
                    fp.get("startup_s", float("nan")),
                    fp.get("rss_ready_mb", float("nan")),
                    fp.get("rss_idle_mb", float("nan")),
                    fp.get("rss_after_chart_mb", float("nan")),
                ]
            )
    return table(
        ["server", "first start s (empty db)", "start-up s", "RSS ready MB", "RSS idle MB", "RSS after chart load MB"],
        rows,
    )


def load_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, srv in results.get("servers", {}).items():
        ld = srv.get("load")
        if ld:
            rows.append([SERVER_NAMES.get(kind, kind), ld["objects"], ld["seconds"], ld["objects"] / ld["seconds"]])
    return table(["server", "objects loaded via /batch", "seconds", "objects/s"], rows)


def scale_table(results: dict[str, Any]) -> str:
    rows = []
    for stage in results.get("scale", {}).get("stages", []):
        c1, c16 = stage.get("chart_c1", {}).get("total", {}), stage.get("chart_c16", {}).get("total", {})
        floor = stage.get("floor_c1", {})
        rows.append(
            [
                stage["patients"],
                stage["notes"],
                stage.get("load_s", float("nan")),
                c1.get("p50_ms", float("nan")),
                c1.get("p99_ms", float("nan")),
                c16.get("ops_s", float("nan")),
                c16.get("p50_ms", float("nan")),
                c16.get("p99_ms", float("nan")),
                (c1.get("errors", 0) or 0) + (c16.get("errors", 0) or 0),
                floor.get("p50_ms", float("nan")),
            ]
        )
    return table(
        [
            "patients",
            "notes",
            "bulk load s",
            "chart c1 p50 ms",
            "chart c1 p99 ms",
            "chart c16 ops/s",
            "chart c16 p50 ms",
            "chart c16 p99 ms",
            "errors",
            "floor c1 p50 ms",
        ],
        rows,
    )


def everything_table(results: dict[str, Any]) -> str:
    """``Patient/$everything`` at each size; × first = p50 over the smallest size's (the issue's
    bound: within 1.2× at 1M notes of its time at the first size)."""
    rows = []
    first: float | None = None
    for stage in results.get("scale", {}).get("stages", []):
        c1, c16 = stage.get("everything_c1", {}).get("total"), stage.get("everything_c16", {}).get("total")
        if not c1 or not c16:
            continue
        if first is None:
            first = c1["p50_ms"]
        probe = stage.get("everything_probe", {})
        scans = stage.get("everything_scans", {})
        seq = ", ".join(f"{t} {v['seq']}" for t, v in scans.items() if v.get("seq")) or "none"
        rows.append(
            [
                stage["patients"],
                stage["notes"],
                "/".join(str(n) for n in probe.get("resources", [])) or "?",
                c1["p50_ms"],
                c1["p99_ms"],
                _ratio(c1["p50_ms"], first),
                c16["ops_s"],
                c16["p50_ms"],
                c16["p99_ms"],
                _ratio(c16["p50_ms"], _first_c16(results)),
                c1["errors"] + c16["errors"],
                seq,
            ]
        )
    return table(
        [
            "patients",
            "notes",
            "resources / patient",
            "c1 p50 ms",
            "c1 p99 ms",
            "c1 p50 × first",
            "c16 ops/s",
            "c16 p50 ms",
            "c16 p99 ms",
            "c16 p50 × first",
            "errors",
            "seq scans (chart tables)",
        ],
        rows,
    )


def _first_c16(results: dict[str, Any]) -> float | None:
    for stage in results.get("scale", {}).get("stages", []):
        found = stage.get("everything_c16", {}).get("total")
        if found:
            return float(found["p50_ms"])
    return None


def floor_table(results: dict[str, Any]) -> str:
    rows = []
    for name, f in results.get("floor", {}).items():
        rows.append([name, f["concurrency"], f["ops_s"], f["p50_ms"], f["p95_ms"], f["p99_ms"]])
    return table(["floor (asyncpg, no HTTP)", "concurrency", "charts/s", "p50 ms", "p95 ms", "p99 ms"], rows)


def ledger_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, srv in results.get("servers", {}).items():
        on = srv.get("runs", {}).get("chart_c16", {}).get("total", {})
        off = srv.get("runs", {}).get("chart_c16_ledger_off", {}).get("total", {})
        if on and off:
            cost = 1 - on["ops_s"] / off["ops_s"] if off.get("ops_s") else None
            rows.append([kind, on["ops_s"], off["ops_s"], f"{cost * 100:.1f} %" if cost is not None else "-",
                         on["p99_ms"], off["p99_ms"]])
    return table(["server", "chart ops/s ledger on", "ledger off", "ledger cost", "p99 on ms", "p99 off ms"], rows)


def render(results: dict[str, Any]) -> str:
    parts = [f"# Chartkeep vs Parse Server — {results.get('meta', {}).get('date', '')}", ""]
    meta = results.get("meta", {})
    parts.append("```\n" + "\n".join(f"{k}: {v}" for k, v in meta.items()) + "\n```")
    if results.get("servers"):  # none in a scale-only run (--only-scale)
        parts += ["", "## Runs (whole operation; chart = 3 requests, write_note = 3, sign = 4)", runs_table(results)]
        parts += ["", "## Data and access", access_table(results)]
        parts += ["", "## Ratios", ratio_table(results)]
        parts += ["", "## What each operation sends PostgreSQL (statements counted on the wire)",
                  statements_table(results)]
        for run_name in ("mix_c16", "mix_c64"):
            parts += ["", f"## Per operation inside {run_name}", per_op_table(results, run_name)]
        parts += ["", "## Audit ledger cost on chart reads (target < 25 %)", ledger_table(results)]
        parts += ["", "## Footprint (per process)", footprint_table(results)]
        parts += ["", "## Loading through REST", load_table(results)]
    if results.get("hash"):
        parts += ["", "## Password hashing", "```\n" + "\n".join(f"{k}: {v}" for k, v in results["hash"].items())]
        parts[-1] += "\n```"
    if results.get("floor"):
        parts += ["", "## Floor", floor_table(results)]
    if results.get("scale"):
        stages = results["scale"].get("stages", [])
        if any("chart_c1" in st for st in stages):
            parts += ["", "## Scale (Chartkeep/PG, bulk-loaded)", scale_table(results)]
        if any("everything_c1" in st for st in stages):
            parts += ["", "## Scale: Patient/$everything through /fhir/R4 (Chartkeep/PG, bulk-loaded)",
                      everything_table(results)]
    return "\n".join(parts) + "\n"
