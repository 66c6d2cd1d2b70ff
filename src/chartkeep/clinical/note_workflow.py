"""The note lifecycle's shared vocabulary: states, who edits, and the facts the rules read.

``MedicalNote.status``: draft → under_review → signed → amended (docs/clinical.md).

* **draft** — the author (or a supervising physician) saves new versions, requests signatures
  or sends it for review (a client writing ``status: under_review``, note_rules.MOVES);
* **under_review** — its content is frozen; signatures are requested on the current version
  (before or after the status was written); a decline returns the note to draft, the last
  required signature makes it signed; its author may return it to draft while no request is open;
* **signed** — never edited in place; an amendment or addendum is a new version with a reason;
* **amended** — signed, then amended (again amendable; the amendment may be signed too).

Every function here takes the write's connection: what it reads is what the transaction sees.
"""

from __future__ import annotations

from typing import Any

from chartkeep.accounts.seed_roles import user_role
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import notes

NOTE, VERSION, SIGNATURE = "MedicalNote", "NoteVersion", "Signature"
DRAFT, REVIEW, SIGNED, AMENDED = "draft", "under_review", "signed", "amended"
STATUSES = (DRAFT, REVIEW, SIGNED, AMENDED)
REQUESTED, SIGNED_SIG, DECLINED = "requested", "signed", "declined"
SIGNATURE_STATUSES = (REQUESTED, SIGNED_SIG, DECLINED)
SIGNATURE_ROLES = ("author", "attending", "resident", "specialist", "supervisor")
# Who supervises: a physician on the care team edits the drafts of non-physician authors
# (nurse, scribe, provider), as an attending over the notes written under them.
SUPERVISOR = "physician"


def schema(core: Core, class_name: str) -> ClassSchema:
    found = core.registry.get(class_name)
    if found is None:  # pragma: no cover - the hooks only run for classes that exist
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    return found


async def fetch(conn: Conn, core: Core, class_name: str, object_id: str) -> dict[str, Any] | None:
    """One stored row, unlocked, whatever its ACL (the caller decides what may be seen)."""
    return await rows.fetch(conn, schema(core, class_name), object_id)


async def lock_note(conn: Conn, core: Core, note_id: str) -> dict[str, Any]:
    """The note row, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite has
    one writer): every write that advances a note's versions or state queues behind this."""
    note = await rows.fetch_for_write(conn, schema(core, NOTE), note_id, None)
    if note is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: MedicalNote {note_id}")
    return note


async def latest_version(conn: Conn, note_id: str) -> dict[str, Any] | None:
    """``{objectId, versionNumber}`` of the note's newest version, or None before the first."""
    found = await notes.latest_version(conn, note_id)
    return None if found is None else {"objectId": found[0], "versionNumber": found[1]}


async def version_signatures(conn: Conn, core: Core, version_id: str) -> list[dict[str, Any]]:
    return await rows.fetch_by(conn, schema(core, SIGNATURE), "noteVersion", version_id)


async def may_edit(conn: Conn, ctx: RequestContext, note: dict[str, Any]) -> bool:
    """The author, or a physician supervising a non-physician author (the master key too)."""
    if ctx.is_master or (ctx.user_id and ctx.user_id == note.get("author")):
        return True
    if f"role:{SUPERVISOR}" not in ctx.principals():
        return False
    return await user_role(conn, note.get("author")) != SUPERVISOR


async def require_editor(conn: Conn, ctx: RequestContext, note: dict[str, Any], what: str) -> None:
    if not await may_edit(conn, ctx, note):
        raise ParseError(
            Code.OPERATION_FORBIDDEN,
            f"Permission denied: only the note's author or a supervising physician {what}.",
        )


def review_complete(note: dict[str, Any], signatures: list[dict[str, Any]]) -> bool:
    """Every signature still required on the version (requested or signed) is signed, there is
    at least one, and a note that ``requiresCosign`` has a signed attending co-signature."""
    live = [s for s in signatures if s.get("status") in (REQUESTED, SIGNED_SIG)]
    if not live or any(s.get("status") != SIGNED_SIG for s in live):
        return False
    if note.get("requiresCosign"):
        return any(s.get("signatureRole") == "attending" for s in live)
    return True


async def set_note(core: Core, conn: Conn, ctx: RequestContext, note_id: str, changes: dict[str, Any], *,
                   why: str, locked: dict[str, Any] | None = None) -> None:
    """A server-side change of the note row (its status, its version number), in the write's
    transaction, through the one write primitive: a ledger entry saying ``why``, and LiveQuery
    subscribers see it once the transaction commits. ``locked``: the row as ``lock_note`` read it
    earlier in this transaction (saves reading it again)."""
    await commit.server_update(core, conn, ctx, NOTE, note_id, changes, why=why, before=locked)
