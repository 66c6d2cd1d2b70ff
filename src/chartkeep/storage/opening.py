"""``open_database(url)``: the back-end a database URL names (SQLite or PostgreSQL)."""

from __future__ import annotations

from chartkeep.storage.database import Database
from chartkeep.storage.postgres import PostgresDatabase
from chartkeep.storage.sqlite import SqliteDatabase


def open_database(url: str) -> Database:
    if url.startswith("sqlite"):
        return SqliteDatabase(url)
    if url.startswith(("postgresql", "postgres")):
        return PostgresDatabase(url)
    raise ValueError(f"unsupported database URL: {url!r} (use sqlite:///path or postgresql://...)")
