"""The crisis-log workflow and its history, on every write of ``CrisisInterventionLog``.

* ``status``: open → in_progress → resolved → closed; resolved may be reopened (in_progress);
  closed is final (nothing changes afterwards). A log is created open, in_progress or resolved.
  ``resolved`` needs a ``responseAction`` (what was done) and an ``outcome`` (what came of it).
* ``recordedBy`` (the writer), ``version`` (the number of changes) are the server's; ``source``
  (the assessment that raised it) never changes and names an assessment of the same patient.
* ``shareWithPatient``: true puts the patient's user in the log's read permissions, false takes
  them out (a ``publish`` / ``unpublish`` ledger entry names it). Only the care team writes logs.
* Every create and every update that changes something writes one immutable ``CrisisLogRevision``
  (editor, version, changed field names, values before and after) in the same transaction.
  Revisions are never written, changed or deleted through the API (master key included); logs are
  never deleted.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.acl import write_principals
from chartkeep.access.principals import ADMIN, team_principal
from chartkeep.audit.append import stage
from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.behavioral.assessment_rules import refuse_delete
from chartkeep.core.handles import Core
from chartkeep.core.hooks import EVERY_FIELD, Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import commit
from chartkeep.schema.codec import encode

MOVES = {
    aw.OPEN: (aw.IN_PROGRESS, aw.RESOLVED),
    aw.IN_PROGRESS: (aw.RESOLVED,),
    aw.RESOLVED: (aw.CLOSED, aw.IN_PROGRESS),
    aw.CLOSED: (),
}
CREATED_AS = (aw.OPEN, aw.IN_PROGRESS, aw.RESOLVED)
NOT_HISTORY = ("updatedAt", "version")


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def _check_enums(v: dict[str, Any]) -> None:
    if "status" in v and v["status"] not in aw.CRISIS_STATUSES:
        raise _refuse(f"CrisisInterventionLog status must be one of {', '.join(aw.CRISIS_STATUSES)}.")
    if "priority" in v and v["priority"] not in aw.PRIORITIES:
        raise _refuse(f"CrisisInterventionLog priority must be one of {', '.join(aw.PRIORITIES)}.")


async def _check_resolved(event: WriteEvent) -> None:
    if await event.value("status") != aw.RESOLVED:
        return
    for name, what in (("a responseAction", "what was done"), ("an outcome", "what came of it")):
        if _blank(await event.value(name.split()[1])):
            raise _refuse(f"A resolved CrisisInterventionLog needs {name} ({what}).")


async def _check_source(core: Core, event: WriteEvent) -> None:
    source = event.values.get("source")
    if not source:
        return
    found = await aw.lock(event.conn, core, aw.ASSESSMENT, source)
    if found is None or found.get("patient") != await event.value("patient"):
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: IntakeAssessment {source}")


async def _share(event: WriteEvent, current: dict[str, Any]) -> None:
    """Put the patient in (or take them out of) the read permissions when the flag changes."""
    v = event.values
    if "shareWithPatient" not in v or bool(v["shareWithPatient"]) == bool(current.get("shareWithPatient")):
        return
    user = await aw.patient_user(event.conn, await event.value("patient"))
    base = v["_rperm"] if "_rperm" in v else current.get("_rperm")
    v["_rperm"] = aw.with_reader(base, user, bool(v["shareWithPatient"]))
    if not event.is_new:
        event.ledger_event = "publish" if v["shareWithPatient"] else "unpublish"
        return
    patient = await event.value("patient")  # created shared: the create entry, and a publish entry beside it
    stage(event.conn, entries.entry(event.ctx, "publish", target_class=aw.CRISIS, target_id=event.object_id,
                                  patient=patient, patient_class=aw.PROFILE, details="shared with the patient"))


async def before_save(core: Core, event: WriteEvent) -> None:
    v, ctx = event.values, event.ctx
    if event.is_new:
        if v.get("status") is None:
            v["status"] = aw.OPEN
        if v.get("priority") is None:
            v["priority"] = "normal"
        _check_enums(v)
        if v["status"] not in CREATED_AS:
            raise _refuse(f"A CrisisInterventionLog is created {', '.join(CREATED_AS)}; it is closed once resolved.")
        if not ctx.is_master or not v.get("recordedBy"):
            v["recordedBy"] = ctx.user_id
        v["version"] = 1
        await _check_source(core, event)
        await _check_resolved(event)
        await _share(event, {})
        return
    principals = None if ctx.is_master else write_principals(ctx)
    current = await aw.lock(event.conn, core, aw.CRISIS, event.object_id, principals)
    if current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    event.current = current
    v.pop("version", None)  # server-owned
    for name in ("recordedBy", "source"):
        if name in v and v[name] != current.get(name):
            raise _refuse(f"{name} cannot be changed once set")
    _check_enums(v)
    changed = _changed(v, current)
    if not changed:
        return
    state = str(current.get("status"))
    if state == aw.CLOSED:
        raise _refuse("A closed CrisisInterventionLog is final: record a new log for a new crisis.")
    if "status" in changed and v["status"] not in MOVES[state]:
        allowed = ", ".join(MOVES[state])
        raise _refuse(f"CrisisInterventionLog status cannot go from {state} to {v['status']} (from {state}: {allowed}).")
    await _check_resolved(event)
    await _share(event, current)
    v["version"] = int(current.get("version") or 1) + 1


def _changed(values: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return sorted(k for k, value in values.items()
                  if not k.startswith("_") and k not in NOT_HISTORY and current.get(k) != value)


def _encoded(event: WriteEvent, obj: dict[str, Any], names: list[str]) -> dict[str, Any]:
    fields = event.schema.fields
    return {n: encode(fields[n], obj[n], "") for n in names if obj.get(n) is not None and n in fields}


async def after_save(core: Core, event: WriteEvent) -> None:
    """The history row of this change, in the same transaction."""
    current = {} if event.is_new else (event.current or {})
    names = _changed(event.values, current)
    if not event.is_new and not names:
        return
    patient = await event.value("patient")
    team = team_principal(aw.PROFILE, patient)
    await commit.server_insert(core, event.conn, event.ctx, aw.REVISION, {
        "log": event.object_id, "patient": patient, "version": event.values.get("version"),
        "editor": event.ctx.user_id, "changedFields": names,
        "before": _encoded(event, current, names), "after": _encoded(event, event.values, names),
        "_rperm": [team, ADMIN], "_wperm": [],
    }, why=f"the history of CrisisInterventionLog {event.object_id}")


async def refuse_revision_write(core: Core, event: WriteEvent) -> None:
    raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: CrisisLogRevision rows are written by the server "
                     "and never changed or deleted.")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", aw.CRISIS, before_save)
    hooks.add("after_save", aw.CRISIS, after_save)
    hooks.add("after_delete", aw.CRISIS, refuse_delete)
    hooks.add("before_save", aw.REVISION, refuse_revision_write)
    hooks.own(aw.REVISION, EVERY_FIELD)  # a crisis log's history is the server's
    hooks.add("after_delete", aw.REVISION, refuse_revision_write)
