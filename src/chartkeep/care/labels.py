"""Security labels: psychotherapy notes (HIPAA 164.508(a)(2)) and 42 CFR Part 2 records, kept
apart from the care team.

``securityLabels`` (an Array on ``MedicalNote``, ``Attachment``, ``IntakeAssessment`` and
``CrisisInterventionLog``) holds ``"psychotherapy"`` and/or ``"42CFR2"``. A ``MedicalNote`` with
``noteType: "psychotherapy"`` always carries the ``psychotherapy`` label. A labelled record is
*restricted*: the server replaces its care-team ACL with

* read: its author (``MedicalNote.author``, ``Attachment.uploadedBy``, ``IntakeAssessment.assessor``,
  ``CrisisInterventionLog.recordedBy``), holders of an active ``RecordGrant`` on it (the read-only
  role ``recordGrant_<Class>_<id>``, see ``care.grants``), and — for a 42 CFR Part 2 record the
  patient may read (42 CFR 2.23), never for a psychotherapy one — the patient's own account, once
  the record is released to them as any record is (``chart_acl.patient_may_read``);
* write: the author, and admins for the labels only.

The versions, signatures and attachments of a restricted note follow the note (its author, its
grants; a signature's signer, an attachment's uploader). The care team, admins, auditors,
break-the-glass and the patient portal read none of it. Each restricted ACL also carries the
marker ``chart:<Root>:<id>``, which no caller ever holds, so the audit ledger still knows whose
chart a read concerns.

Labels are added by whoever may write the record (the care team); they are removed only by the
record's author or an admin, and every change of labels is a ``permission_change`` ledger entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.access.principals import ADMIN, GRANT_PREFIX, chart_mark
from chartkeep.care import chart_acl, team
from chartkeep.care.chart_acl import RULES
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.storage import rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries.grants import holds_record_grant

PSYCHOTHERAPY, PART2 = "psychotherapy", "42CFR2"
LABELS = (PSYCHOTHERAPY, PART2)
FIELD = "securityLabels"
NOTE = "MedicalNote"
# labelled class -> the user-pointer field naming the record's author
AUTHORS = {"MedicalNote": "author", "Attachment": "uploadedBy", "IntakeAssessment": "assessor",
           "CrisisInterventionLog": "recordedBy"}
NOTE_PARTS = ("NoteVersion", "Signature", "Attachment")  # follow the labels of their note


def grant_role(class_name: str, object_id: str) -> str:
    return f"{GRANT_PREFIX}{class_name}_{object_id}"


def clean(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(Code.INCORRECT_TYPE, f"{FIELD} must be an array of strings")
    unknown = [v for v in value if v not in LABELS]
    if unknown:
        raise ParseError(Code.VALIDATION_ERROR, f"{FIELD} may hold only {', '.join(LABELS)} (not {unknown[0]})")
    return sorted(set(value))


async def stored(conn: Conn, core: Core, class_name: str, object_id: str | None) -> dict[str, Any] | None:
    """One stored row, whatever its ACL."""
    schema = core.registry.get(class_name)
    if schema is None or not object_id:
        return None
    return await rows.fetch(conn, schema, object_id)


def labels_of(row: dict[str, Any] | None) -> list[str]:
    return list((row or {}).get(FIELD) or [])


async def is_restricted(conn: Conn, core: Core, class_name: str, object_id: str) -> bool:
    return bool(labels_of(await stored(conn, core, class_name, object_id)))


def is_author(ctx: Any, author: str | None) -> bool:
    return ctx.is_master or (ctx.user_id is not None and ctx.user_id == author)


# ---- the ACL of a restricted record --------------------------------------------------------------


async def _restricted_perms(event: WriteEvent, labels: set[str], note: dict[str, Any] | None
                            ) -> tuple[list[str], list[str]]:
    rule = RULES[event.class_name]
    root_id = await chart_acl.chart_root_id(event, rule)
    readers, writers = [chart_mark(rule.root, root_id)], []
    if note is not None:
        readers += [p for p in (note.get("author"), "role:" + grant_role(NOTE, note["objectId"])) if p]
    if event.class_name in AUTHORS:
        author = await event.value(AUTHORS[event.class_name])
        readers.append("role:" + grant_role(event.class_name, event.object_id))
        if author:
            readers.append(author)
            writers.append(author)
        writers.append(ADMIN)  # an admin removes labels (and changes nothing else)
    for name in rule.writers:
        user = await event.value(name)
        if user:
            readers.append(user)
            writers.append(user)
    if PSYCHOTHERAPY not in labels and await chart_acl.patient_may_read(event, rule):
        owner = await team.root_of(event.conn, "PatientProfile", root_id, "user")
        if owner:
            readers.append(owner)
    return sorted(set(readers)), sorted(set(writers))


async def _parent_note(event: WriteEvent, core: Core) -> dict[str, Any] | None:
    if event.class_name not in NOTE_PARTS:
        return None
    return await stored(event.conn, core, NOTE, await event.value("medicalNote"))


# ---- the hook -----------------------------------------------------------------------------------


async def label_before_save(core: Core, event: WriteEvent) -> None:
    """Runs after the care-team hook (which set the normal ACL) and the note rules."""
    cls = event.class_name
    if FIELD in event.values:
        event.values[FIELD] = clean(event.values[FIELD])
    if cls == NOTE and await event.value("noteType") == PSYCHOTHERAPY:
        if not event.is_new and PSYCHOTHERAPY not in (await event.value(FIELD) or []):
            raise ParseError(Code.VALIDATION_ERROR, "A psychotherapy note keeps its psychotherapy label.")
        event.values[FIELD] = sorted({*(await event.value(FIELD) or []), PSYCHOTHERAPY})
    before = set() if event.is_new else set(labels_of(await event.load_current()))
    own = set(await event.value(FIELD) or []) if cls in AUTHORS else set()
    note = await _parent_note(event, core)
    inherited = set(labels_of(note))
    if not inherited:
        note = None
    if not event.is_new and cls in AUTHORS and own != before:
        _may_write(event)
        await _check_change(event, before, own)
    labels = own | inherited
    if labels or before:
        await _check_restricted_write(core, event, note)
    if chart_acl.keeps_master_acl(event):
        return
    if labels:
        chart_acl.set_perms(event, await _restricted_perms(event, labels, note))
    elif before and not own:  # the last label removed: back to the care team's ACL
        rule = RULES[cls]
        chart_acl.set_perms(event, await chart_acl.chart_perms(event, rule, await chart_acl.chart_root_id(event, rule)))


def _may_write(event: WriteEvent) -> None:
    """A caller the row's ACL does not let write learns nothing of its rules: 101, as the write would."""
    wperm = (event.current or {}).get("_wperm")
    principals = event.ctx.principals()
    if not event.ctx.is_master and wperm is not None and not any(p in wperm for p in principals):
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


async def _check_change(event: WriteEvent, before: set[str], after: set[str]) -> None:
    author = await event.value(AUTHORS[event.class_name])
    removed = before - after
    ctx = event.ctx
    if removed and not (is_author(ctx, author) or ADMIN in ctx.principals()):
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         "Permission denied: only the record's author or an admin removes a security label.")
    event.ledger_event = "permission_change"
    event.carry(LabelsChanged())


async def _check_restricted_write(core: Core, event: WriteEvent, note: dict[str, Any] | None) -> None:
    """Who writes inside a restricted record: its author; an admin only its labels; the versions of a
    restricted note only its author; a signer only someone who may read the note."""
    ctx = event.ctx
    cls = event.class_name
    if ctx.is_master:
        return
    admin_edit = ADMIN in ctx.principals() and bool(set(event.body) - {FIELD})
    if cls in AUTHORS and not event.is_new and admin_edit and not is_author(ctx, await event.value(AUTHORS[cls])):
        raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: an admin changes only the security labels of a restricted record.")
    if note is None:
        return
    if cls == "NoteVersion" and event.is_new and ctx.user_id != note.get("author"):
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         "Permission denied: only its author writes a restricted (psychotherapy / 42 CFR Part 2) note.")
    if cls == "Signature" and event.is_new:
        signer = event.values.get("signer")
        if signer != note.get("author") and not (
                signer and core.registry.get("RecordGrant") is not None
                and await holds_record_grant(event.conn, signer, NOTE, note["objectId"])):
            raise ParseError(Code.VALIDATION_ERROR, "The signer of a restricted note must be able to read it: "
                             "its author grants them access (RecordGrant) first.")


# ---- a note's parts follow its labels -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelsChanged:
    """A note's labels changed: its versions, signatures and attachments follow once it is stored."""


async def note_after_save(core: Core, event: WriteEvent) -> None:
    if event.carried(LabelsChanged) is None:
        return
    note = await stored(event.conn, core, NOTE, event.object_id)
    for part in NOTE_PARTS:
        schema = core.registry.get(part)
        if schema is None:
            continue
        for row in await rows.fetch_by(event.conn, schema, "medicalNote", event.object_id):
            sub = WriteEvent(event.ctx, event.conn, schema, row["objectId"], False, {}, dict(row), row)
            labels = set(labels_of(note)) | (set(labels_of(row)) if part in AUTHORS else set())
            if labels:
                perms = await _restricted_perms(sub, labels, note if labels_of(note) else None)
            else:
                rule = RULES[part]
                perms = await chart_acl.chart_perms(sub, rule, await chart_acl.chart_root_id(sub, rule))
            # subscribers who lost (or gained) the part hear leave / enter
            await commit.server_update(core, event.conn, event.ctx, part, row["objectId"],
                                       {"_rperm": perms[0], "_wperm": perms[1]}, event="permission_change",
                                       why=f"follows the security labels of MedicalNote {event.object_id}", before=row)


def register(hooks: Hooks[Core]) -> None:
    for class_name in dict.fromkeys((*AUTHORS, *NOTE_PARTS)):
        hooks.add("before_save", class_name, label_before_save)
    hooks.add("after_save", NOTE, note_after_save)
