"""The note lifecycle on every write of ``MedicalNote`` and ``NoteVersion``, whoever sends it.

These are before/after-save hooks, so a direct REST or SDK write (a Back4app-template app sets
the fields itself) meets exactly the rules the Cloud functions do:

* a note is created as a ``draft``, in its author's own name; ``currentVersionNumber`` is the
  server's (0 until the first version is saved; a client's value is never stored);
* a client-set ``status`` is a move of the lifecycle (``MOVES``, docs/clinical.md): accepted
  when the caller may make it and what it needs holds, under the lock on the note row; the
  state the workflow already reached is accepted as it is; anything else is refused with 142
  naming the rule (or 119 naming who may);
* a version is appended, never changed: the server numbers it (newest + 1, under a lock on the
  note row), links ``previousVersion``, sets ``editor`` to the caller and advances the note's
  ``currentVersionNumber`` in the same transaction;
* only the author or a supervising physician writes a draft; nothing is written under review;
  a version saved on a signed note is an amendment (a reason is mandatory) and the note becomes
  ``amended``;
* versions, notes and signatures are never deleted through the API, master key included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.clinical import note_workflow as nw
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError

# The moves a client's status write may make: (from, to) → who, and what must hold (docs/clinical.md).
MOVES = {
    (nw.DRAFT, nw.REVIEW): "the author or a supervising physician, once a version is saved",
    (nw.REVIEW, nw.DRAFT): "the author or a supervising physician, while no signature is requested on the "
                           "current version",
    (nw.REVIEW, nw.SIGNED): "the author, a supervising physician or one who signed the current version, when "
                            "every required signature on it is signed",
}
# Every other change of status → the rule it breaks.
SIGNED_RULE = ("a note becomes signed when every requested signature is signed "
               "(with an attending co-signature when it requiresCosign)")
AMENDED_RULE = "a signed note becomes amended when an amendment version is saved with a reason"
FINAL_RULE = "a signed note is final: it is corrected by an amendment version with a reason (amendNote)"
STAYS_AMENDED = "an amended note stays amended: it is corrected by further amendments, which may be signed"
NOT_A_MOVE = {
    (nw.DRAFT, nw.SIGNED): SIGNED_RULE,
    (nw.DRAFT, nw.AMENDED): AMENDED_RULE,
    (nw.REVIEW, nw.AMENDED): AMENDED_RULE,
    (nw.SIGNED, nw.DRAFT): FINAL_RULE,
    (nw.SIGNED, nw.REVIEW): FINAL_RULE,
    (nw.SIGNED, nw.AMENDED): AMENDED_RULE,
    (nw.AMENDED, nw.DRAFT): STAYS_AMENDED,
    (nw.AMENDED, nw.REVIEW): STAYS_AMENDED,
    (nw.AMENDED, nw.SIGNED): STAYS_AMENDED,
}
LINKS = ("author", "encounter")
LABELS = ("securityLabels",)  # metadata, not content: their rules are care.labels' (docs/portal.md)
SERVER_OWNED_VERSION = ("versionNumber", "previousVersion")
UNDER_REVIEW = ("MedicalNote is under review: it cannot change until a signer declines it or, while no signature "
                "is requested, its author returns it to draft.")
FROZEN = {
    nw.REVIEW: UNDER_REVIEW,
    nw.SIGNED: "A signed MedicalNote is never edited in place: amend it with a new version (amendNote).",
    nw.AMENDED: "A signed MedicalNote is never edited in place: amend it with a new version (amendNote).",
}


@dataclass(frozen=True, slots=True)
class VersionSaved:
    """A new version's note follows it: its number and the status it reaches."""

    note_id: str
    version: int
    status: str
    locked: dict[str, Any]  # the note row, as this transaction locked it


def _check_status_value(status: Any) -> None:
    if status not in nw.STATUSES:
        raise ParseError(Code.VALIDATION_ERROR, f"MedicalNote status must be one of {', '.join(nw.STATUSES)}.")


# ---- MedicalNote ---------------------------------------------------------------------------------


async def note_before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        _new_note(event)
    else:
        await _note_update(core, event)


def _new_note(event: WriteEvent) -> None:
    status = event.values.get("status")
    _check_status_value(status)
    if status != nw.DRAFT:
        raise ParseError(
            Code.VALIDATION_ERROR,
            f"A MedicalNote is created as a draft: status {status} is reached through the workflow "
            f"(draft → under_review → signed → amended).",
        )
    ctx = event.ctx
    if not ctx.is_master and event.values.get("author") != ctx.user_id:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a note is written in its author's own name.")
    event.values["currentVersionNumber"] = 0  # server-owned: versions advance it


async def _note_update(core: Core, event: WriteEvent) -> None:
    ctx = event.ctx
    current = await event.load_writable()  # locked: signatures and versions of this note queue behind it
    event.values.pop("currentVersionNumber", None)  # server-owned: a client's value is dropped
    state = str(current.get("status"))
    wanted = state
    if "status" in event.values:
        wanted = event.values.pop("status")
        _check_status_value(wanted)
    for name in LINKS:
        if name in event.values and event.values[name] != current.get(name):
            raise ParseError(Code.VALIDATION_ERROR, f"{name} cannot be changed once set")
    if wanted != state:
        await _move(core, event, current, state, wanted)
    changed = [k for k, v in event.values.items()
               if not k.startswith("_") and k not in LABELS and k != "status" and current.get(k) != v]
    if not changed:
        return
    if state in FROZEN:
        raise ParseError(Code.VALIDATION_ERROR, FROZEN[state])
    await nw.require_editor(event.conn, ctx, current, "edits a draft")


# ---- a status a client writes: the lifecycle's moves ---------------------------------------------
#
# MOVES says who may make each one and what must hold; every other change is NOT_A_MOVE (142). The
# server's own moves (a signature requested on a draft, a decline, the last signature, an amendment
# version) are made by the signature and version rules; a client writing the state they reached
# changes nothing. Everything here runs under the lock on the note row (load_writable).


async def _move(core: Core, event: WriteEvent, note: dict[str, Any], state: str, wanted: str) -> None:
    conn, ctx = event.conn, event.ctx
    if (state, wanted) not in MOVES:
        rule = NOT_A_MOVE.get((state, wanted), "the lifecycle is draft → under_review → signed → amended")
        raise ParseError(Code.VALIDATION_ERROR, f"MedicalNote status cannot go from {state} to {wanted}: {rule}.")
    latest = await nw.latest_version(conn, note["objectId"])
    if (state, wanted) == (nw.DRAFT, nw.REVIEW):
        await nw.require_editor(conn, ctx, note, "sends it for review")
        if latest is None:
            raise ParseError(Code.VALIDATION_ERROR,
                             "MedicalNote has no content yet: save a version before sending it for review.")
    elif (state, wanted) == (nw.REVIEW, nw.DRAFT):
        await nw.require_editor(conn, ctx, note, "returns it to draft")
        if latest is not None and _count(await nw.version_signatures(conn, core, latest["objectId"]), nw.REQUESTED):
            raise ParseError(
                Code.VALIDATION_ERROR,
                f"MedicalNote status cannot go from under_review to draft while a signature is requested on its "
                f"current version ({latest['versionNumber']}): it returns to draft when a signer declines it.")
    else:  # under_review → signed
        signatures = [] if latest is None else await nw.version_signatures(conn, core, latest["objectId"])
        signers = {s.get("signer") for s in signatures if s.get("status") == nw.SIGNED_SIG}
        if not await nw.may_edit(conn, ctx, note) and ctx.user_id not in signers:
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: only the note's author, a supervising "
                             "physician or one who signed it marks it signed.")
        if not nw.review_complete(note, signatures):
            number = latest["versionNumber"] if latest else 0
            raise ParseError(
                Code.VALIDATION_ERROR,
                f"MedicalNote status cannot go from under_review to signed: {SIGNED_RULE} (version {number}: "
                f"{_count(signatures, nw.REQUESTED)} requested, {_count(signatures, nw.SIGNED_SIG)} signed).")
    event.values["status"] = wanted


def _count(signatures: list[dict[str, Any]], status: str) -> int:
    return sum(1 for s in signatures if s.get("status") == status)


# ---- NoteVersion ---------------------------------------------------------------------------------


async def version_before_save(core: Core, event: WriteEvent) -> None:
    if not event.is_new:
        if set(event.body) - {"ACL"}:
            raise ParseError(
                Code.VALIDATION_ERROR,
                "A NoteVersion is immutable: save a new version instead (saveNoteDraft, amendNote).",
            )
        return
    ctx = event.ctx
    note_id = event.values["medicalNote"]
    note = await nw.lock_note(event.conn, core, note_id)
    await nw.require_editor(event.conn, ctx, note, "writes its versions")
    if not ctx.is_master:
        event.values["editor"] = ctx.user_id  # server-owned: the caller wrote it
    state = note.get("status")
    if state == nw.REVIEW:
        raise ParseError(Code.VALIDATION_ERROR, "MedicalNote is under review: no new version until a signer declines it "
                         "or, while no signature is requested, its author returns it to draft.")
    if state == nw.DRAFT and event.values.get("isAddendum"):
        raise ParseError(Code.VALIDATION_ERROR, "An addendum is added to a signed note; a draft is edited with a new version.")
    if state in (nw.SIGNED, nw.AMENDED) and not _reason(event.values):
        raise ParseError(
            Code.VALIDATION_ERROR,
            "A signed MedicalNote is never edited in place: an amendment needs a reason "
            "(amendmentReason or changeSummary).",
        )
    if state in (nw.SIGNED, nw.AMENDED):
        event.ledger_event = "amend"  # the ledger names it (docs/audit.md)
    latest = await nw.latest_version(event.conn, note_id)
    number = (latest["versionNumber"] if latest else 0) + 1
    event.values["versionNumber"] = number
    event.values["previousVersion"] = latest["objectId"] if latest else None
    event.carry(VersionSaved(note_id, number, nw.AMENDED if state in (nw.SIGNED, nw.AMENDED) else str(state), note))


def _reason(values: dict[str, Any]) -> str:
    for name in ("amendmentReason", "changeSummary"):
        text = values.get(name)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return ""


async def version_after_save(core: Core, event: WriteEvent) -> None:
    step = event.carried(VersionSaved)
    if step is None:
        return
    changes = {"currentVersionNumber": step.version, "status": step.status}
    why = f"version {step.version} saved" + (" (an amendment)" if step.status == nw.AMENDED else "")
    await nw.set_note(core, event.conn, event.ctx, step.note_id, changes, why=why, locked=step.locked)


# ---- never deleted -------------------------------------------------------------------------------


async def refuse_delete(core: Core, event: WriteEvent) -> None:
    """Runs after the DELETE inside its transaction: raising rolls it back, row and all."""
    raise ParseError(
        Code.OPERATION_FORBIDDEN,
        f"Permission denied: a {event.class_name} is never deleted; notes are corrected by amendment.",
    )


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", nw.NOTE, note_before_save)
    hooks.own(nw.NOTE, "status", "author", "currentVersionNumber")  # Cloud Code may not change them
    hooks.own(nw.VERSION, *SERVER_OWNED_VERSION, "editor", "medicalNote")
    hooks.add("before_save", nw.VERSION, version_before_save)
    hooks.add("after_save", nw.VERSION, version_after_save)
    for class_name in (nw.NOTE, nw.VERSION, nw.SIGNATURE):
        hooks.add("after_delete", class_name, refuse_delete)
