"""A note's versions and signatures as the note workflow reads them (clinical/): the newest
version, a signer's open request on a version, and the signatures to verify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chartkeep.schema.model import ClassSchema
from chartkeep.storage.database import Conn
from chartkeep.storage.dialect import quote
from chartkeep.storage.rows import decode_rows, select_list

VERSION, SIGNATURE = "NoteVersion", "Signature"


async def latest_version(conn: Conn, note_id: str) -> tuple[str, int] | None:
    """(objectId, versionNumber) of the note's newest version; None before the first."""
    row = await conn.fetchrow(
        f'SELECT "objectId", "versionNumber" FROM {quote(VERSION)} WHERE "medicalNote" = '
        f'{conn.dialect.placeholder(1)} ORDER BY "versionNumber" DESC LIMIT 1',
        [note_id],
    )
    return None if row is None else (str(row["objectId"]), int(row["versionNumber"]))


async def signature_in_status(conn: Conn, version_id: str, signer: str, status: str) -> str | None:
    """The objectId of ``signer``'s signature on the version that is in ``status``, if any."""
    d = conn.dialect
    row = await conn.fetchrow(
        f'SELECT "objectId" FROM {quote(SIGNATURE)} WHERE "noteVersion" = {d.placeholder(1)} '
        f'AND "signer" = {d.placeholder(2)} AND "status" = {d.placeholder(3)}',
        [version_id, signer, status],
    )
    return None if row is None else str(row["objectId"])


async def signatures_in_status(
    conn: Conn, schema: ClassSchema, status: str, note_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The signatures in ``status`` (of the given notes only, unless None), by objectId."""
    if note_ids is not None and not note_ids:
        return []
    d = conn.dialect
    sql = f'SELECT {select_list(schema)} FROM {quote(schema.name)} WHERE "status" = {d.placeholder(1)}'
    params: list[Any] = [status]
    if note_ids is not None:
        marks = ", ".join(d.placeholder(i + 2) for i in range(len(note_ids)))
        sql += f' AND "medicalNote" IN ({marks})'
        params += note_ids
    return decode_rows(schema, await conn.fetch(sql + ' ORDER BY "objectId"', params), conn)
