"""Signature verification: recompute the SHA-256 of every signed version and compare it with the
hash its signature recorded. A version changed after signing (by SQL, a restore, anything that
bypassed the API), a signature pointed at other content, or a signed version that disappeared is
reported. ``verify_signatures`` is the service (the CLI can call it); ``verifyNoteSignatures``
the Cloud function.
"""

from __future__ import annotations

from typing import Any

from chartkeep.clinical import note_workflow as nw
from chartkeep.clinical.note_content import content_hash
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.records import reads
from chartkeep.records.cloud_values import object_id
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import notes

AUDITORS = ("role:admin", "role:auditor")


async def verify_signatures(core: Core, conn: Conn, note_ids: list[str] | None = None) -> dict[str, Any]:
    """``{"checked": n, "mismatches": [{signature, medicalNote, noteVersion, problem, recorded, actual}]}``
    over every signed signature (of the given notes only, when ``note_ids`` is given)."""
    if core.registry.get(nw.SIGNATURE) is None:
        return {"checked": 0, "mismatches": []}
    if note_ids is not None and not note_ids:
        return {"checked": 0, "mismatches": []}
    signed = await notes.signatures_in_status(conn, nw.schema(core, nw.SIGNATURE), nw.SIGNED_SIG, note_ids)
    mismatches = []
    for sig in signed:
        version = await nw.fetch(conn, core, nw.VERSION, sig.get("noteVersion") or "")
        actual = content_hash(version) if version is not None else None
        problem = None
        if version is None:
            problem = "the signed version is missing"
        elif version.get("medicalNote") != sig.get("medicalNote"):
            problem = "the signed version belongs to another note"
        elif actual != sig.get("contentHash"):
            problem = "the signed content changed after signing"
        if problem:
            mismatches.append({"signature": sig["objectId"], "medicalNote": sig.get("medicalNote"),
                               "noteVersion": sig.get("noteVersion"), "problem": problem,
                               "recorded": sig.get("contentHash"), "actual": actual})
    return {"checked": len(signed), "mismatches": mismatches}


async def verify_note_signatures(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """One note (anyone who may read it) or, without ``note``, every note (admins, auditors,
    the master key)."""
    note_id = object_id(params, "note", nw.NOTE, required=False)
    async with core.db.read() as conn:
        if note_id is not None:
            await reads.get(core, ctx, nw.NOTE, note_id, {}, conn)
            return await verify_signatures(core, conn, [note_id])
        if not ctx.is_master and not any(p in ctx.principals() for p in AUDITORS):
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: verifying every note's signatures is for admins and auditors.")
        return await verify_signatures(core, conn, None)


def register(hooks: Hooks[Core]) -> None:
    hooks.define("verifyNoteSignatures", verify_note_signatures)
