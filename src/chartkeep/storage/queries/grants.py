"""The active grants of a user: ``RecordGrant`` (one restricted record) and ``BreakGlassAccess``
(a whole chart, time-boxed). Active: not expired (a ``RecordGrant`` without ``expiresAt`` lasts
until it is revoked, that is deleted)."""

from __future__ import annotations

from datetime import datetime

from chartkeep.schema.dates import now_ms
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote

RECORD_GRANTS = "RecordGrant"
BREAK_GLASS = "BreakGlassAccess"


async def holds_record_grant(conn: Conn, user_id: str, class_name: str, object_id: str) -> bool:
    d = conn.dialect
    found = await conn.fetchval(
        f'SELECT COUNT(*) FROM {quote(RECORD_GRANTS)} WHERE "grantee" = {d.placeholder(1)} AND "recordClass" = '
        f'{d.placeholder(2)} AND "recordId" = {d.placeholder(3)} AND ("expiresAt" IS NULL OR "expiresAt" > '
        f'{d.placeholder(4)})', [user_id, class_name, object_id, d.to_db("Date", now_ms())])
    return bool(found)


async def record_grants_of(conn: Conn, user_id: str) -> list[tuple[str, str, datetime | None]]:
    """(recordClass, recordId, expiresAt) of the user's active record grants."""
    d = conn.dialect
    found = await conn.fetch(
        f'SELECT "recordClass", "recordId", "expiresAt" FROM {quote(RECORD_GRANTS)} WHERE "grantee" = '
        f'{d.placeholder(1)} AND ("expiresAt" IS NULL OR "expiresAt" > {d.placeholder(2)})',
        [user_id, d.to_db("Date", now_ms())])
    return [(r[0], r[1], d.from_db("Date", r[2])) for r in found]


async def break_glass_of(conn: Conn, user_id: str) -> list[tuple[str | None, str | None, datetime | None]]:
    """(patient, patientProfile, expiresAt) of the user's active break-the-glass grants."""
    d = conn.dialect
    found = await conn.fetch(
        f'SELECT "patient", "patientProfile", "expiresAt" FROM {quote(BREAK_GLASS)} '
        f'WHERE "user" = {d.placeholder(1)} AND "expiresAt" > {d.placeholder(2)}',
        [user_id, d.to_db("Date", now_ms())])
    return [(r[0], r[1], d.from_db("Date", r[2])) for r in found]
