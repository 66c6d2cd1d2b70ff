"""Parse Server gets the same classes and the same indexes as Chartkeep.

Classes: the two seed templates (general EHR + behavioral health) exactly as Chartkeep loads them:
``chartkeep.schema.templates.merge_templates`` reads Chartkeep's copies of the seeds' "Schema (JSON)"
blocks plus the documented extensions, so both servers serve field-for-field the same schema.
They are created on Parse with the master key (``POST /schemas``), then Parse is restarted with
``allowClientClassCreation: false``.

Indexes: Parse Server 9 on PostgreSQL indexes only the primary key and the ``_User``/``_Role``
uniqueness columns; Chartkeep indexes every pointer column and ``createdAt``/``updatedAt``. Every
single-column index Chartkeep's database has is created on Parse's table too (the Parse PostgreSQL
adapter stores a pointer as a text column named after the field, holding the objectId), so neither
server wins by an index the other lacks.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import asyncpg

from ckbench.client import Api

SYSTEM = ("objectId", "createdAt", "updatedAt", "ACL")
USER_BUILTINS = ("username", "password", "email", "emailVerified", "authData")


def template_classes() -> dict[str, dict[str, Any]]:
    from chartkeep.schema.templates import merge_templates

    merged = merge_templates(["ehr", "behavioral_health"])
    out: dict[str, dict[str, Any]] = {}
    for name, schema in merged.items():
        fields = {}
        for fname, spec in schema.fields.items():
            if fname in SYSTEM or (name == "_User" and fname in USER_BUILTINS):
                continue
            fields[fname] = spec.to_json()
        out[name] = fields
    return out


async def create_parse_schemas(api: Api) -> list[str]:
    existing = {c["className"] for c in (await api.call("GET", "/schemas", master=True))["results"]}
    done = []
    for name, fields in template_classes().items():
        if name in existing:
            have = next(
                c for c in (await api.call("GET", "/schemas", master=True))["results"] if c["className"] == name
            )["fields"]
            missing = {k: v for k, v in fields.items() if k not in have}
            if missing:
                await api.call("PUT", f"/schemas/{name}", {"className": name, "fields": missing}, master=True)
        else:
            await api.call("POST", f"/schemas/{name}", {"className": name, "fields": fields}, master=True)
        done.append(name)
    return done


_INDEX_RE = re.compile(r'^CREATE INDEX \S+ ON (?:public\.)?("?[^"\s]+"?|"[^"]+") USING btree \("?([^"()]+)"?\)$')


async def chartkeep_single_column_indexes(chartkeep_db_url: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(chartkeep_db_url)
    try:
        rows = await conn.fetch("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    finally:
        await conn.close()
    out = []
    for row in rows:
        found = _INDEX_RE.match(row["indexdef"])
        if found:
            out.append((row["tablename"], found.group(2)))
    return sorted(set(out))


async def mirror_indexes(parse_db_url: str, wanted: list[tuple[str, str]]) -> list[str]:
    """Create on Parse's tables every (table, column) index Chartkeep has; returns what was made."""
    conn = await asyncpg.connect(parse_db_url)
    made = []
    try:
        columns = {
            (r["table_name"], r["column_name"])
            for r in await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            )
        }
        for table, column in wanted:
            if (table, column) not in columns:
                continue
            name = "bench_" + hashlib.sha1(f"{table}.{column}".encode()).hexdigest()[:12]
            await conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
            made.append(f"{table}({column})")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return made
