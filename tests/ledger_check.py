"""Every request's changes are named by its ledger entries: the check behind "one write path".

``LedgerCheck`` wraps the in-process app of every test that uses the ``api`` fixture (so every
scenario of the clinical, behavioral, messaging, account and access suites runs under it). For
each HTTP request it

1. reads every table of the database before the request (class tables, join tables, the account
   tables), and the ledger's head;
2. runs the request (requests are serialised so each one's changes are its own);
3. reads the tables again, and the ledger entries the request appended;
4. fails the request — and so the test — when a row that was added, changed or removed is not
   named by one of those entries, or when an entry copies a secret (a password hash, a session
   or account token, an MFA secret) that the request wrote.

What names a row: an entry whose ``targetClass``/``targetId`` is the row's class and
``objectId``; for a relation's join row, an entry on the object that owns the relation; for the
account tables, an entry on the user the row belongs to (``_Session``, ``_AccountToken``,
``_MFA``, ``_Lockout``, and a SMART token revoked with the user's sessions, ``_SmartToken``), or — a lockout counter of a name no user has — the request's
``login_failed`` entry. Files (``_File``/``_FileBlob``, named by the ``Attachment`` or message
that holds them), the account-email outbox, the sessions' last-use times and the Bulk Data export
jobs' bookkeeping (``_FhirExport``: progress and lease, updated by the job in the background while
other requests run; what a job reads is named by its ``read`` entries) are not clinical or account
state and are left out.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from chartkeep.storage.sqlite import sqlite_path

LEDGER_TABLES = frozenset({"_Audit", "_AuditChain", "_AuditCheckpoint", "_SCHEMA"})
# _SessionActivity: when a session was last used (the idle timeout's clock, keyed by token digest), written
# by any request with a session token at most once a minute: not clinical or account state
NOT_CHECKED = frozenset({"_File", "_FileBlob", "_Outbox", "_SessionActivity", "_FhirExport"})
SECRET_COLUMNS = frozenset({"_hashed_password", "sessionToken", "digest", "secret", "recovery"})
USER_OWNED = {"_Session": "user", "_AccountToken": "user", "_MFA": "user", "_SmartToken": "user"}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class UnnamedChange(AssertionError):
    """A request changed a row that none of its ledger entries names."""


@dataclass(frozen=True)
class Snapshot:
    rows: dict[tuple[str, Any], tuple[Any, ...]]  # (table, key) -> row values
    columns: dict[str, list[str]]
    head: int


class Observer:
    """A connection of the check's own, outside the server (what a request does to the server's
    connections cannot hide a change from it, nor does the check's reading count as the server's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self._pg: asyncpg.Connection | None = None
        self._lite: sqlite3.Connection | None = None
        self.catalog: tuple[Any, dict[str, list[str]]] | None = None  # (class schemas, columns) last read

    async def fetch(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        params = params or []
        if self.postgres:
            if self._pg is None:
                self._pg = await asyncpg.connect(self.url)
            return [dict(r) for r in await self._pg.fetch(sql, *params)]
        if self._lite is None:
            self._lite = sqlite3.connect(sqlite_path(self.url), check_same_thread=False)
            self._lite.row_factory = sqlite3.Row
        return [dict(r) for r in self._lite.execute(sql.replace("$1", "?"), params).fetchall()]

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._lite is not None:
            self._lite.close()


async def _tables(db: Observer) -> list[str]:
    if db.postgres:
        found = await db.fetch("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = "
                               "current_schema() AND table_type = 'BASE TABLE'")
    else:
        found = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(r["name"] for r in found if r["name"] not in LEDGER_TABLES and r["name"] not in NOT_CHECKED
                  and not r["name"].startswith("_Audit"))


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return value if value is None or isinstance(value, (int, float, bool, str)) else str(value)


async def snapshot(db: Observer) -> Snapshot:
    if db.postgres:
        return await _pg_snapshot(db)
    rows: dict[tuple[str, Any], tuple[Any, ...]] = {}
    columns: dict[str, list[str]] = {}
    for table in await _tables(db):
        found = await db.fetch(f'SELECT * FROM "{table}"')
        columns[table] = list(found[0]) if found else await _columns(db, table)
        for row in found:
            values = tuple(_plain(v) for v in row.values())
            key = row.get("objectId", values)
            rows[(table, key)] = values
    head = (await db.fetch('SELECT COALESCE(MAX("seq"), 0) AS head FROM "_Audit"'))[0]["head"]
    return Snapshot(rows, columns, int(head))


async def _pg_snapshot(db: Observer) -> Snapshot:
    """Cheap round trips whatever the number of tables: the class schemas and the ledger head, every
    row as JSON in one statement; the catalog only when the class schemas changed (a table or a
    column added or dropped goes through ``_SCHEMA``)."""
    [state] = await db.fetch('SELECT (SELECT COALESCE(MAX("seq"), 0) FROM "_Audit") AS head, '
                             '(SELECT string_agg("className" || "schema"::text, \',\' ORDER BY "className") '
                             'FROM "_SCHEMA") AS classes')
    if db.catalog is None or db.catalog[0] != state["classes"]:
        db.catalog = (state["classes"], await _pg_columns(db))
    columns = db.catalog[1]
    rows: dict[tuple[str, Any], tuple[Any, ...]] = {}
    if columns:
        union = " UNION ALL ".join(
            f"SELECT {_literal(table)} AS t, to_jsonb(x)::text AS j FROM {_ident(table)} x" for table in columns)
        for r in await db.fetch(union):
            row = json.loads(r["j"])
            values = tuple(_plain(row.get(c)) for c in columns[r["t"]])
            rows[(r["t"], row.get("objectId", values))] = values
    return Snapshot(rows, {k: list(v) for k, v in columns.items()}, int(state["head"]))


async def _pg_columns(db: Observer) -> dict[str, list[str]]:
    found = await db.fetch(
        "SELECT c.relname AS t, a.attname AS c FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY c.relname, a.attnum")
    columns: dict[str, list[str]] = {}
    for r in found:
        if r["t"] not in LEDGER_TABLES and r["t"] not in NOT_CHECKED and not r["t"].startswith("_Audit"):
            columns.setdefault(r["t"], []).append(r["c"])
    return columns


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def _columns(db: Observer, table: str) -> list[str]:
    if db.postgres:
        found = await db.fetch("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = "
                               "current_schema() AND table_name = $1 ORDER BY ordinal_position", [table])
    else:
        found = await db.fetch(f'SELECT name FROM pragma_table_info("{table}")')
    return [r["name"] for r in found]


async def entries_since(db: Observer, seq: int) -> list[dict[str, Any]]:
    found = await db.fetch('SELECT "eventType", "targetClass", "targetId", "details", "metadata" FROM "_Audit" '
                           'WHERE "seq" > $1 ORDER BY "seq"', [seq])
    return [{"event": r["eventType"], "class": r["targetClass"], "id": r["targetId"], "details": r["details"],
             "metadata": _plain(r["metadata"])} for r in found]


def _named_by(table: str, row: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (targetClass, targetId) pairs any of which names this row."""
    if "objectId" in row and not table.startswith("_Join:"):
        out = [(table, row["objectId"])]
        if table in USER_OWNED:
            out.append(("_User", row.get(USER_OWNED[table])))
        return out
    if table.startswith("_Join:"):  # _Join:<field>:<Class>
        owner = table.split(":", 2)[2]
        return [(owner, row.get("owningId"))]
    if table in USER_OWNED:
        return [("_User", row.get(USER_OWNED[table]))]
    if table == "_Lockout":
        key = str(row.get("key") or "")
        if key.startswith("user:"):  # user:<id>|ip:<address>, the account's counter for one address
            return [("_User", key[len("user:"):].split("|", 1)[0])]
        return [("login_failed", None)]
    return [(table, None)]


def _common(before: Snapshot, after: Snapshot, table: str, values: tuple[Any, ...] | None,
            side: Snapshot) -> tuple[Any, ...] | None:
    """A row's values on the columns the table has both before and after the request (a column
    added or dropped is a change of the class, named by its own entry, not of every row)."""
    if values is None:
        return None
    keep = [c for c in side.columns.get(table, []) if c in before.columns.get(table, [])
            and c in after.columns.get(table, [])]
    names = side.columns.get(table, [])
    return tuple(values[names.index(c)] for c in keep)


def unnamed_changes(before: Snapshot, after: Snapshot, entries: list[dict[str, Any]]) -> list[str]:
    named = {(e["class"], e["id"]) for e in entries} | {(e["event"], None) for e in entries}
    classes = {e["class"] for e in entries} | {e["id"] for e in entries if e["class"] == "_SCHEMA"}
    problems = []
    for table in sorted(set(before.columns) | set(after.columns)):
        owner = table.split(":", 2)[2] if table.startswith("_Join:") else table
        if before.columns.get(table) != after.columns.get(table) and owner not in classes:
            problems.append(f"the columns of {table} changed, and no ledger entry of this request names the class")
    for key in sorted(set(before.rows) | set(after.rows), key=str):
        table = key[0]
        old = _common(before, after, table, before.rows.get(key), before)
        new = _common(before, after, table, after.rows.get(key), after)
        if old == new:
            continue
        if table not in before.columns and key not in before.rows and table in classes:
            continue  # a class created by this request: its rows are named with it
        names = after.columns.get(table) or before.columns.get(table) or []
        raw = after.rows.get(key) if after.rows.get(key) is not None else before.rows.get(key)
        row = dict(zip(names, raw or (), strict=False))
        if not any(pair in named for pair in _named_by(table, row)):
            what = "added" if old is None else "removed" if new is None else "changed"
            problems.append(f"{table} {key[1]!r} {what}, and no ledger entry of this request names it")
    return problems


def copied_secrets(before: Snapshot, after: Snapshot, entries: list[dict[str, Any]]) -> list[str]:
    text = json.dumps(entries, default=str)
    out = []
    for key, values in after.rows.items():
        if before.rows.get(key) == values:
            continue
        for name, value in zip(after.columns.get(key[0], []), values, strict=False):
            if name in SECRET_COLUMNS and isinstance(value, str) and len(value) >= 16 and value in text:
                out.append(f"{key[0]}.{name} of {key[1]!r} is copied into the ledger")
    return out


class LedgerCheck:
    """ASGI middleware: each HTTP request's changed rows must be named by its ledger entries."""

    def __init__(self, app: Any, database_url: str) -> None:
        self.app = app
        self.db = Observer(database_url)
        self.lock = asyncio.Lock()
        self.checked = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.lock:
            before = await snapshot(self.db)
            await self.app(scope, receive, send)
            after = await snapshot(self.db)
            entries = await entries_since(self.db, before.head)
            problems = unnamed_changes(before, after, entries) + copied_secrets(before, after, entries)
            self.checked += 1
        if problems:
            what = f"{scope.get('method')} {scope.get('path')}"
            raise UnnamedChange(f"{what}: " + "; ".join(problems))
