"""Signatures on every write of ``Signature``, through the functions or directly (REST, SDK).

* **Request** (create): by the note's author or a supervising physician, on the note's current
  version, for a clinician on the patient's care team, with a role from the seed (author,
  attending, resident, specialist, supervisor); created as ``requested``. A draft note goes
  ``under_review``; one the app already sent for review stays so.
* **Sign / decline** (update): only the assigned signer; only while the request is for the
  note's current version and the note is under review (or amended, for an amendment). The server
  sets ``signedAt``, ``printedName``, ``meaning`` and ``contentHash`` (the SHA-256 of the signed
  version's canonical content, clinical/note_content.py); a client's values are overwritten.
  The last required signature makes the note ``signed``; a decline (a comment is mandatory)
  returns it to ``draft``. A signed or declined signature is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.access.acl import write_principals
from chartkeep.access.principals import team_role
from chartkeep.accounts.seed_roles import CLINICAL, user_role
from chartkeep.clinical import note_workflow as nw
from chartkeep.clinical.note_content import content_hash
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import now_ms
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries.roles import is_member

SERVER_SET = ("signedAt", "printedName", "meaning", "contentHash", "requestedAt")
FIXED = ("noteVersion", "signer", "signatureRole")
PHYSICIAN_ROLES = ("attending", "resident", "supervisor")
MEANINGS = {
    "author": "Author: I wrote this note and attest that it is accurate and complete.",
    "attending": "Attending co-signature: I reviewed this note and agree with its findings and plan.",
    "resident": "Resident signature: I reviewed this note as the resident physician.",
    "specialist": "Specialist signature: I reviewed this note as the consulting specialist.",
    "supervisor": "Supervisor signature: I reviewed and approve this note.",
}


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


async def signature_before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        await _request(core, event)
    else:
        await _sign_or_decline(core, event)


@dataclass(frozen=True, slots=True)
class ReviewOpens:
    """A signature requested on a draft: the note goes under review."""

    note_id: str
    locked: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answered:
    """A signer signed or declined: the note may follow."""

    note: dict[str, Any]  # as this transaction locked it
    wanted: str
    version: str


# ---- request -------------------------------------------------------------------------------------


async def _request(core: Core, event: WriteEvent) -> None:
    conn, v = event.conn, event.values
    note = await nw.lock_note(conn, core, v["medicalNote"])
    await nw.require_editor(conn, event.ctx, note, "requests signatures")
    if v.get("status") != nw.REQUESTED:
        raise _refuse("A Signature is created as requested: only its signer signs or declines it.")
    role = v.get("signatureRole")
    if role not in nw.SIGNATURE_ROLES:
        raise _refuse(f"signatureRole must be one of {', '.join(nw.SIGNATURE_ROLES)}.")
    if note.get("status") == nw.SIGNED:
        raise _refuse("MedicalNote is already signed: amend it (amendNote) before asking for more signatures.")
    latest = await nw.latest_version(conn, note["objectId"])
    if latest is None:
        raise _refuse("MedicalNote has no content yet: save a version before requesting signatures.")
    version = await nw.fetch(conn, core, nw.VERSION, v["noteVersion"])
    if version is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: NoteVersion {v['noteVersion']}")
    if version.get("medicalNote") != note["objectId"]:
        raise _refuse("noteVersion belongs to another MedicalNote.")
    if version["objectId"] != latest["objectId"]:
        raise _refuse(f"A signature attests the note's current version ({latest['versionNumber']}), "
                      f"not version {version.get('versionNumber')}.")
    await _check_signer(conn, note, v["signer"], role)
    for other in await nw.version_signatures(conn, core, version["objectId"]):
        if other.get("signer") == v["signer"] and other.get("status") in (nw.REQUESTED, nw.SIGNED_SIG):
            raise _refuse(f"This signer has already been asked to sign version {latest['versionNumber']}.")
    for name in SERVER_SET:
        v.pop(name, None)
    v["requestedAt"] = now_ms()
    if note.get("status") == nw.DRAFT:
        event.carry(ReviewOpens(note["objectId"], note))


async def _check_signer(conn: Conn, note: dict[str, Any], signer: str, role: str) -> None:
    signer_role = await user_role(conn, signer)
    if signer_role not in CLINICAL:
        raise _refuse("The signer must be a clinician (physician, nurse, scribe or provider).")
    if role in PHYSICIAN_ROLES and signer_role != nw.SUPERVISOR:
        raise _refuse(f"An {role} signature is given by a physician.")
    if role == "author" and signer != note.get("author"):
        raise _refuse("An author signature is given by the note's author.")
    if not await _on_team(conn, note.get("patient"), signer):
        raise _refuse("The signer must be on the patient's care team.")


async def _on_team(conn: Conn, patient_id: str | None, user_id: str) -> bool:
    return bool(patient_id) and await is_member(conn, team_role("Patient", patient_id or ""), user_id)


# ---- sign / decline ------------------------------------------------------------------------------


async def _sign_or_decline(core: Core, event: WriteEvent) -> None:
    ctx, conn, v = event.ctx, event.conn, event.values
    current = await rows.fetch_for_write(conn, event.schema, event.object_id,
                                         None if ctx.is_master else write_principals(ctx))
    if current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    event.current = current
    for name in SERVER_SET:
        v.pop(name, None)
    for name in FIXED:
        if name in v and v[name] != current.get(name):
            raise _refuse(f"{name} cannot be changed once the signature is requested.")
    if not [k for k, val in v.items() if not k.startswith("_") and current.get(k) != val]:
        return
    if ctx.is_master or ctx.user_id != current.get("signer"):
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: only the assigned signer signs or declines a signature.")
    if current.get("status") != nw.REQUESTED:
        raise _refuse(f"A {current.get('status')} signature is final: it cannot change.")
    wanted = v.get("status", nw.REQUESTED)
    if wanted not in nw.SIGNATURE_STATUSES:
        raise _refuse(f"Signature status must be one of {', '.join(nw.SIGNATURE_STATUSES)}.")
    if wanted == nw.REQUESTED:
        return  # the signer edits their comment while the request is open
    note = await nw.lock_note(conn, core, current["medicalNote"])
    await _check_current(conn, core, note, current)
    if wanted == nw.DECLINED:
        comment = v.get("comment")
        if not isinstance(comment, str) or not comment.strip():
            raise _refuse("A decline needs a comment saying why.")
    else:
        version = await nw.fetch(conn, core, nw.VERSION, current["noteVersion"])
        assert version is not None  # _check_current found it
        v["signedAt"] = now_ms()
        v["printedName"] = await _printed_name(conn, current["signer"])
        v["meaning"] = MEANINGS.get(current.get("signatureRole") or "", "Signed.")
        v["contentHash"] = content_hash(version)
    event.carry(Answered(note, wanted, current["noteVersion"]))


async def _check_current(conn: Conn, core: Core, note: dict[str, Any], sig: dict[str, Any]) -> None:
    state = note.get("status")
    if state not in (nw.REVIEW, nw.AMENDED):
        raise _refuse(f"MedicalNote is {state}: a signature is given only while the note is under review.")
    latest = await nw.latest_version(conn, note["objectId"])
    if latest is None or latest["objectId"] != sig.get("noteVersion"):
        now = latest["versionNumber"] if latest else 0
        raise _refuse(f"This signature request is for an earlier version; the note is now at version {now}.")


async def _printed_name(conn: Conn, user_id: str) -> str:
    row = await rows.field_values(conn, "_User", user_id, ("displayName", "username"))
    return "" if row is None else str(row["displayName"] or row["username"] or "")


# ---- the note follows ----------------------------------------------------------------------------


async def signature_after_save(core: Core, event: WriteEvent) -> None:
    conn, ctx = event.conn, event.ctx
    opens = event.carried(ReviewOpens)
    if opens is not None:
        await nw.set_note(core, conn, ctx, opens.note_id, {"status": nw.REVIEW}, why="a signature was requested",
                          locked=opens.locked)
        return
    answer = event.carried(Answered)
    if answer is None:
        return
    note = answer.note
    if note.get("status") != nw.REVIEW:
        return  # an amended note stays amended whatever its amendment's signatures do
    if answer.wanted == nw.DECLINED:
        await nw.set_note(core, conn, ctx, note["objectId"], {"status": nw.DRAFT}, why="a signer declined",
                          locked=note)
    elif nw.review_complete(note, await nw.version_signatures(conn, core, answer.version)):
        await nw.set_note(core, conn, ctx, note["objectId"], {"status": nw.SIGNED},
                          why="every required signature is signed", locked=note)


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", nw.SIGNATURE, signature_before_save)
    # what a signature says and whose it is: Cloud Code may not change them
    hooks.own(nw.SIGNATURE, "status", *SERVER_SET, "signer", "medicalNote", "noteVersion", "signatureRole")
    hooks.add("after_save", nw.SIGNATURE, signature_after_save)
