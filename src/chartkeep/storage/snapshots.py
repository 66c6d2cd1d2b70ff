"""Whole-database copies for ``chartkeep backup`` / ``restore``: SQLite through its online backup API
(a consistent copy while the server writes), PostgreSQL through ``pg_dump`` / ``pg_restore`` (custom
format). A URL's ``search_path`` names the one schema copied; a restore keeps that schema's name."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from chartkeep.storage.database import Conn
from chartkeep.storage.sqlite import sqlite_path


class SnapshotError(Exception):
    """A copy could not be made or put back; the message says why."""


def kind(url: str) -> str:
    return "postgresql" if url.startswith(("postgresql", "postgres")) else "sqlite"


def pg_target(url: str) -> tuple[str, str | None]:
    """(the URL libpq tools accept, the schema its ``search_path`` names, if any)."""
    parts = urlsplit(url)
    found = parse_qs(parts.query).get("search_path")
    schema = found[0] if found else None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), schema


def sqlite_copy(url: str, dest: Path) -> None:
    """A consistent copy of the live SQLite database (others may keep writing meanwhile)."""
    source = sqlite3.connect(sqlite_path(url))
    target = sqlite3.connect(str(dest))
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def sqlite_put_back(copy: Path, url: str, force: bool) -> None:
    path = Path(sqlite_path(url))
    if path.exists() and path.stat().st_size > 0 and not force:
        raise SnapshotError(f"{path} exists: restore into a new database_url, or pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(copy, path)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SnapshotError(f"{name} is not installed (the PostgreSQL client tools, same major version as the server)")
    return found


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if done.returncode != 0:
        raise SnapshotError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-2000:]}")


def pg_dump(url: str, dest: Path) -> None:
    target, schema = pg_target(url)
    argv = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}"]
    if schema:
        argv.append(f"--schema={schema}")
    _run([*argv, f"--dbname={target}"])


def pg_restore(dump: Path, url: str) -> None:
    target, _schema = pg_target(url)
    _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={target}", str(dump)])


async def holds_data(conn: Conn) -> bool:
    """The database (the URL's schema) already has Chartkeep's tables."""
    if conn.dialect.name == "postgresql":
        return await conn.fetchval("""SELECT to_regclass('"_SCHEMA"') IS NOT NULL""") is True
    return await conn.fetchval("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_SCHEMA'") is not None
