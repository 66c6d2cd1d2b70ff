"""The assessment lifecycle on every write of ``IntakeAssessment``, whoever sends it.

Before/after-save hooks, so a direct REST/SDK/GraphQL write meets exactly the rules the Cloud
functions do (docs/assessments.md):

* created ``pending`` (the default) or ``completed``; pending → completed; never back;
* a PHQ-9 / GAD-7 in ``data`` is validated and scored by the server: ``totalScore``,
  ``severity`` and ``crisisFlag`` are the server's (a client's values are overwritten); a
  positive PHQ-9 item 9 raises a ``CrisisInterventionLog`` in the same transaction;
* a completed assessment is never edited in place (master key included): a revision is a new
  row naming it in ``previousVersion``, with a ``revisionReason``; the server numbers it
  (``version`` = old + 1, under a lock on the old row; a unique index on ``previousVersion`` is
  the backstop) and sets the old row's ``supersededBy``;
* publishing and acknowledging are server transitions (assessment_functions): their fields are
  refused on a client write; an assessment is recorded in its assessor's own name;
* assessments are never deleted through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.access.acl import write_principals
from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.behavioral import crisis_flag, instruments
from chartkeep.behavioral.instruments import Score
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError

FIXED = ("assessor", "previousVersion")
NEVER_EDITED = ("A completed IntakeAssessment is never edited in place: revise it (reviseAssessment, or a new "
                "IntakeAssessment with previousVersion and revisionReason).")


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


def _check_status(status: Any) -> None:
    if status not in aw.STATUSES:
        raise _refuse(f"IntakeAssessment status must be one of {', '.join(aw.STATUSES)}.")


def _refuse_server_fields(values: dict[str, Any], current: dict[str, Any]) -> None:
    for name, how in aw.SERVER_ONLY.items():
        if name in values and values[name] != current.get(name):
            raise _refuse(f"{name} is set by the server: use {how}.")


async def before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        await _create(core, event)
    else:
        await _update(core, event)


async def _create(core: Core, event: WriteEvent) -> None:
    v, ctx = event.values, event.ctx
    if v.get("status") is None:
        v["status"] = aw.PENDING
    _check_status(v["status"])
    _refuse_server_fields(v, {})
    if not ctx.is_master and v.get("assessor") != ctx.user_id:
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         "Permission denied: an assessment is recorded in its assessor's own name.")
    v["version"] = 1
    if v.get("previousVersion"):
        await _revision(core, event)
    _score(event, v.get("data"), v["status"])


@dataclass(frozen=True, slots=True)
class Supersedes:
    """A revision: the version it replaces learns who replaced it once the revision is stored."""

    old_id: str
    row: dict[str, Any]  # as this transaction locked it


async def _revision(core: Core, event: WriteEvent) -> None:
    v = event.values
    old_id = v["previousVersion"]
    old = await aw.lock(event.conn, core, aw.ASSESSMENT, old_id)
    if old is None or old.get("patient") != v.get("patient"):
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: IntakeAssessment {old_id}")
    if old.get("status") != aw.COMPLETED:
        raise _refuse("A pending IntakeAssessment is edited in place; only a completed one is revised.")
    if old.get("supersededBy"):
        raise _refuse(f"IntakeAssessment {old_id} was already revised by {old['supersededBy']}: "
                      "revise the latest version.")
    reason = v.get("revisionReason")
    if not isinstance(reason, str) or not reason.strip():
        raise _refuse("A revision needs a revisionReason saying why.")
    v["version"] = int(old.get("version") or 1) + 1
    event.carry(Supersedes(old_id, old))


async def _update(core: Core, event: WriteEvent) -> None:
    ctx, v = event.ctx, event.values
    principals = None if ctx.is_master else write_principals(ctx)
    current = await aw.lock(event.conn, core, aw.ASSESSMENT, event.object_id, principals)
    if current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    event.current = current
    for name in (*aw.SCORE_FIELDS, "version"):
        v.pop(name, None)  # server-owned: a client's value is dropped
    _refuse_server_fields(v, current)
    for name in FIXED:
        if name in v and v[name] != current.get(name):
            raise _refuse(f"{name} cannot be changed once set")
    state = current.get("status")
    if "status" in v:
        _check_status(v["status"])
        if state == aw.COMPLETED and v["status"] != aw.COMPLETED:
            raise _refuse(f"IntakeAssessment status cannot go from completed to {v['status']}: {NEVER_EDITED}")
    changed = [k for k, value in v.items() if not k.startswith("_") and current.get(k) != value]
    if not changed:
        return
    if state == aw.COMPLETED:
        raise _refuse(NEVER_EDITED)
    if "data" in changed or "status" in changed:
        _score(event, await event.value("data"), await event.value("status"))


def _score(event: WriteEvent, data: Any, status: Any) -> None:
    result = instruments.score_data(data, completed=status == aw.COMPLETED)
    v = event.values
    if result is None:
        v.update(dict.fromkeys(aw.SCORE_FIELDS))
        return
    v.update({"totalScore": result.total, "severity": result.severity, "crisisFlag": result.crisis})
    if result.crisis:
        event.carry(result)


async def after_save(core: Core, event: WriteEvent) -> None:
    old = event.carried(Supersedes)
    if old is not None:
        await aw.set_fields(core, event.conn, event.ctx, aw.ASSESSMENT, old.old_id, {"supersededBy": event.object_id},
                            why=f"revised by IntakeAssessment {event.object_id}", before=old.row)
    result = event.carried(Score)
    if result is not None:
        await crisis_flag.raise_flag(core, event, result)


async def refuse_delete(core: Core, event: WriteEvent) -> None:
    """Runs after the DELETE inside its transaction: raising rolls it back, row and all."""
    article = "an" if event.class_name[0] in "AEIOU" else "a"
    raise ParseError(
        Code.OPERATION_FORBIDDEN,
        f"Permission denied: {article} {event.class_name} is never deleted; it is kept with its history.",
    )


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", aw.ASSESSMENT, before_save)
    hooks.own(aw.ASSESSMENT, *aw.SCORE_FIELDS, *aw.SERVER_ONLY)  # the scores and publication: the server's
    hooks.add("after_save", aw.ASSESSMENT, after_save)
    hooks.add("after_delete", aw.ASSESSMENT, refuse_delete)
