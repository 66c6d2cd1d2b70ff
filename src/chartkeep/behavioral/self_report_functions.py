"""Cloud functions for patient self-report questionnaires: ``assignAssessment`` (the care team)
and ``submitAssessment`` (the patient). Parameters and results: docs/assessments.md.

Each runs as ONE transaction. Assigning is an ordinary create under the clinician's session, so
the class-level permissions, the care-team check and the rules of ``self_report_rules`` and
``assessment_rules`` decide it. Submitting is the patient's answer to their own assessment: the
function checks who may submit, then writes the answers as an ordinary update under the patient's
identity, with the care team's write permission for that one write and a mark the self-report
rules recognise — so validation, scoring, the crisis flag, the ledger entry (``submit``, the
patient as actor) and LiveQuery are exactly those of any other assessment write.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from chartkeep.access.principals import team_role
from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.behavioral import instruments
from chartkeep.behavioral.self_report_rules import PATIENT, SUBMITTING
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.records import reads, writes
from chartkeep.records.cloud_values import as_object, object_id, pointer, require_user, text
from chartkeep.schema.dates import iso_ms, now_ms


async def _shown(core: Core, ctx: RequestContext, tx: Any, oid: str) -> dict[str, Any]:
    return as_object(aw.ASSESSMENT, await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx))


def _instrument(params: dict[str, Any]) -> instruments.Instrument:
    name = text(params, "instrument")
    if name is None:
        raise ParseError(Code.VALIDATION_ERROR, "instrument is required")
    found = instruments.instrument_of({"instrument": name})
    if found is None:
        names = " or ".join(i.name for i in instruments.INSTRUMENTS.values())
        raise ParseError(Code.VALIDATION_ERROR, f"instrument must be {names}; got {name!r}.")
    return found


def _date(params: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = params.get(key)
    if value is None:
        return None
    if not (isinstance(value, dict) and value.get("__type") == "Date" and isinstance(value.get("iso"), str)):
        raise ParseError(Code.INCORRECT_TYPE, f"{key} must be a Date")
    return value


def _now() -> dict[str, str]:
    return {"__type": "Date", "iso": iso_ms(now_ms())}


async def assign_assessment(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "assignAssessment")
    profile = object_id(params, "patient", aw.PROFILE) or ""
    inst = _instrument(params)
    body: dict[str, Any] = {
        "patient": pointer(aw.PROFILE, profile), "assessor": pointer("_User", me), "assessmentDate": _now(),
        "status": aw.PENDING, "respondent": PATIENT, "data": {"instrument": inst.name},
    }
    due = _date(params, "dueAt")
    if due is not None:
        body["dueAt"] = due
    details = text(params, "details")
    if details is not None:
        body["details"] = details
    async with core.db.transaction() as tx:
        oid = str((await writes.create(core, ctx, aw.ASSESSMENT, body, tx))["objectId"])
        return {"assessment": await _shown(core, ctx, tx, oid)}


async def submit_assessment(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "submitAssessment")
    oid = object_id(params, "assessment", aw.ASSESSMENT) or ""
    answers = params.get("answers")
    if answers is None:
        raise ParseError(Code.VALIDATION_ERROR, "answers is required")
    try:
        return await _submit(core, ctx, me, oid, answers)
    except ParseError as exc:  # rolled back; the refusal is in the ledger on its own
        await entries.record_refusal(core, ctx, "submit", aw.ASSESSMENT, oid, exc)
        raise


async def _submit(core: Core, ctx: RequestContext, me: str, oid: str, answers: Any) -> dict[str, Any]:
    async with core.db.transaction() as tx:
        await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx)  # 101 when the caller cannot see it
        row = await aw.lock(tx, core, aw.ASSESSMENT, oid)
        if row is None:  # pragma: no cover - read a moment ago in this transaction
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        if row.get("respondent") != PATIENT:
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: this assessment is recorded by the care team, not self-reported.")
        if await aw.patient_user(tx, row["patient"]) != me:
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: only the patient answers their own self-report.")
        if row.get("status") != aw.PENDING:
            raise ParseError(Code.VALIDATION_ERROR, "This self-report was already submitted.")
        data = dict(row.get("data") or {})
        inst = instruments.instrument_of(data)
        if inst is None:  # pragma: no cover - the self-report rules require a scored instrument
            raise ParseError(Code.VALIDATION_ERROR, "This self-report names no scored instrument.")
        instruments.score(inst, answers)  # 142 naming the bad item, before anything is written
        now = _now()
        acting = dataclasses.replace(
            ctx, roles=tuple(sorted({*ctx.roles, "clinician", team_role(aw.PROFILE, row["patient"])})),
            extra={**ctx.extra, SUBMITTING: oid})
        await writes.update(core, acting, aw.ASSESSMENT, oid, {
            "data": {**data, "answers": answers}, "status": aw.COMPLETED, "assessmentDate": now, "submittedAt": now,
        }, tx)
        return {"assessment": await _shown(core, ctx, tx, oid)}


def register(hooks: Hooks[Core]) -> None:
    hooks.define("assignAssessment", assign_assessment)
    hooks.define("submitAssessment", submit_assessment)
