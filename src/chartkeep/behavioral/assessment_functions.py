"""Cloud functions for assessments: ``publishAssessment``, ``acknowledgeAssessment``,
``reviseAssessment`` (parameters and results: docs/assessments.md).

Each runs as ONE transaction. Reads go through the access-checked read path first: a caller who
cannot see the assessment gets 101 (or the class's 119), never data. Publishing and acknowledging
are server transitions (the client-write rules refuse their fields); a revision is an ordinary
create under the caller's context, so the lifecycle hooks (assessment_rules) decide it.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.acl import write_principals
from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.care.labels import FIELD as LABELS_FIELD
from chartkeep.care.labels import PSYCHOTHERAPY
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.records import reads, writes
from chartkeep.records.cloud_values import as_object, object_id, pointer, require_user, text
from chartkeep.schema.dates import now_ms
from chartkeep.storage.database import Conn


async def _shown(core: Core, ctx: RequestContext, tx: Conn, oid: str) -> dict[str, Any]:
    return as_object(aw.ASSESSMENT, await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx))


async def publish_assessment(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "publishAssessment")
    oid = object_id(params, "assessment", aw.ASSESSMENT) or ""
    async with core.db.transaction() as tx:
        await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx)  # 101/119 when the caller cannot see it
        row = await aw.lock(tx, core, aw.ASSESSMENT, oid, write_principals(ctx))
        if row is None:
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: only the patient's care team publishes an assessment.")
        if row.get("status") != aw.COMPLETED:
            raise ParseError(Code.VALIDATION_ERROR,
                             f"Only a completed IntakeAssessment is published; this one is {row.get('status')}.")
        if PSYCHOTHERAPY in (row.get(LABELS_FIELD) or ()):  # HIPAA 164.508(a)(2): never to the portal
            raise ParseError(Code.VALIDATION_ERROR,
                             "A psychotherapy record is never published to the patient portal.")
        if row.get("supersededBy"):
            raise ParseError(Code.VALIDATION_ERROR, f"IntakeAssessment {oid} was revised by {row['supersededBy']}: "
                             "publish the latest version.")
        if not row.get("publishedAt"):  # publishing twice changes nothing
            user, now = await aw.patient_user(tx, row["patient"]), now_ms()
            await aw.set_fields(core, tx, ctx, aw.ASSESSMENT, oid, {
                "publishedAt": now, "publishedBy": me, "_rperm": aw.with_reader(row.get("_rperm"), user, True),
            }, why="published to the patient", event="publish", before=row)
        return {"assessment": await _shown(core, ctx, tx, oid)}


async def acknowledge_assessment(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "acknowledgeAssessment")
    oid = object_id(params, "assessment", aw.ASSESSMENT) or ""
    async with core.db.transaction() as tx:
        await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx)  # unpublished: the patient cannot see it (101)
        row = await aw.lock(tx, core, aw.ASSESSMENT, oid)
        if row is None:  # pragma: no cover - read a moment ago in this transaction
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        if await aw.patient_user(tx, row["patient"]) != me:
            raise ParseError(Code.OPERATION_FORBIDDEN,
                             "Permission denied: only the patient acknowledges their own assessment.")
        if not row.get("publishedAt"):
            raise ParseError(Code.VALIDATION_ERROR, "Only a published IntakeAssessment is acknowledged.")
        if not row.get("acknowledgedAt"):  # acknowledging twice changes nothing
            await aw.set_fields(core, tx, ctx, aw.ASSESSMENT, oid, {"acknowledgedAt": now_ms(), "acknowledgedBy": me},
                                why="acknowledged by the patient", event="acknowledge", before=row)
        return {"assessment": await _shown(core, ctx, tx, oid)}


REVISABLE = {"data": dict, "recommendations": str, "details": str, "status": str}


def _changes(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in REVISABLE.items():
        value = params.get(key)
        if value is None:
            continue
        if not isinstance(value, kind):
            raise ParseError(Code.INCORRECT_TYPE, f"{key} must be {'an object' if kind is dict else 'a string'}")
        out[key] = value
    date = params.get("assessmentDate")
    if date is not None:
        if not (isinstance(date, dict) and date.get("__type") == "Date"):
            raise ParseError(Code.INCORRECT_TYPE, "assessmentDate must be a Date")
        out["assessmentDate"] = date
    return out


async def revise_assessment(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "reviseAssessment")
    oid = object_id(params, "assessment", aw.ASSESSMENT) or ""
    reason = (text(params, "revisionReason") or "").strip()
    if not reason:
        raise ParseError(Code.VALIDATION_ERROR, "revisionReason is required: a revision says why.")
    changes = _changes(params)
    async with core.db.transaction() as tx:
        old = await reads.get(core, ctx, aw.ASSESSMENT, oid, {}, tx)
        body: dict[str, Any] = {
            k: old[k] for k in ("patient", "assessmentDate", "details", "data", "recommendations") if k in old}
        body.update({"assessor": pointer("_User", me), "status": aw.COMPLETED, **changes,
                     "previousVersion": pointer(aw.ASSESSMENT, oid), "revisionReason": reason})
        new_id = str((await writes.create(core, ctx, aw.ASSESSMENT, body, tx))["objectId"])
        return {"assessment": await _shown(core, ctx, tx, new_id), "previous": await _shown(core, ctx, tx, oid)}


def register(hooks: Hooks[Core]) -> None:
    hooks.define("publishAssessment", publish_assessment)
    hooks.define("acknowledgeAssessment", acknowledge_assessment)
    hooks.define("reviseAssessment", revise_assessment)
