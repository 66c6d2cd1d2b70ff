"""Patient self-report questionnaires: the rules on every write of an ``IntakeAssessment`` whose
``respondent`` is ``"patient"`` (docs/assessments.md, "Patient self-report").

A self-report is assigned by the care team (``assignAssessment``, or a direct create with
``respondent: "patient"``) and answered by the patient (``submitAssessment``). The patient reads
it from the moment it is assigned, so:

* it is created ``pending``, naming a scored instrument (PHQ-9 / GAD-7) without answers, without
  ``recommendations`` and without security labels; the server adds the patient's user to its
  read permissions (never to its write permissions);
* only the patient's submission (``submitAssessment``, marked on its own request context) writes
  its answers and completes it: any other write of ``data`` or ``status`` is 119, master key
  included; while pending the care team changes only ``dueAt`` and ``details``;
* ``recommendations`` never enter the row the patient reads before publication: the clinician's
  interpretation is a revision (``reviseAssessment``), which the patient reads once published;
* ``respondent`` never changes; ``submittedAt`` is the server's.

Registered after ``care/chart_acl.py`` (the care-team ACL is set when these run) and before
``assessment_rules``, so a self-report's own refusals come before its scoring; an update first
locks the row as the writer may see it (101 for anyone its ACL does not let write, as the
lifecycle rules answer).
"""

from __future__ import annotations

from chartkeep.access.acl import write_principals
from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.behavioral.instruments import instrument_of
from chartkeep.care.labels import FIELD as LABELS_FIELD
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError

PATIENT, CLINICIAN = "patient", "clinician"
RESPONDENTS = (PATIENT, CLINICIAN)
# ctx.extra key: the objectId the patient's submission (submitAssessment) is writing
SUBMITTING = "assessment.submitting"
CARE_TEAM_EDITS = ("dueAt", "details")  # what the care team changes on a pending self-report
NO_RECOMMENDATIONS = ("recommendations are not written on a patient self-report, which the patient reads: record "
                      "them in a revision once it is submitted (reviseAssessment) and publish that.")
ANSWERED_BY_PATIENT = "Permission denied: the patient answers a self-report (submitAssessment)."


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


def submitting(event: WriteEvent) -> bool:
    return event.ctx.extra.get(SUBMITTING) == event.object_id


async def before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        await _create(event)
    else:
        await _update(core, event)


async def _create(event: WriteEvent) -> None:
    v = event.values
    if v.get("submittedAt") is not None:
        raise _refuse("submittedAt is set by the server: use submitAssessment.")
    respondent = v.get("respondent")
    if respondent is None or respondent == CLINICIAN:
        return
    if respondent not in RESPONDENTS:
        raise _refuse(f"IntakeAssessment respondent must be one of {', '.join(RESPONDENTS)}.")
    if v.get("previousVersion"):
        raise _refuse("A revision is the care team's own: respondent patient is for a new self-report.")
    if (v.get("status") or aw.PENDING) != aw.PENDING:
        raise _refuse("A patient self-report is created pending: the patient completes it with submitAssessment.")
    data = v.get("data")
    if not isinstance(data, dict) or instrument_of(data) is None:
        raise _refuse("A patient self-report names a scored instrument in data.instrument: PHQ-9 or GAD-7.")
    if data.get("answers") is not None:
        raise _refuse("The patient answers a self-report: data.answers is written by submitAssessment.")
    if v.get("recommendations") is not None:
        raise _refuse(NO_RECOMMENDATIONS)
    if v.get(LABELS_FIELD):
        raise _refuse("A patient self-report carries no security labels: the patient reads it.")
    user = await aw.patient_user(event.conn, v["patient"])
    if not user:
        raise _refuse("The patient has no account to answer with (PatientProfile.user).")
    v["_rperm"] = aw.with_reader(v.get("_rperm"), user, True)


async def _update(core: Core, event: WriteEvent) -> None:
    v, ctx = event.values, event.ctx
    current = await aw.lock(event.conn, core, aw.ASSESSMENT, event.object_id,
                            None if ctx.is_master else write_principals(ctx))
    if current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    if "respondent" in v and v["respondent"] != current.get("respondent"):
        raise _refuse("respondent cannot be changed once set")
    is_submission = submitting(event)
    if "submittedAt" in v and v["submittedAt"] != current.get("submittedAt") and not is_submission:
        raise _refuse("submittedAt is set by the server: use submitAssessment.")
    if current.get("respondent") != PATIENT or current.get("status") != aw.PENDING:
        return  # a submitted self-report: the lifecycle rules (never edited in place) decide
    if is_submission:
        event.ledger_event = "submit"
        return
    ignored = (*aw.SCORE_FIELDS, "version")  # the server's: assessment_rules drops a client's values
    changed = sorted(k for k, value in v.items()
                     if not k.startswith("_") and k not in ignored and current.get(k) != value)
    if "data" in changed or "status" in changed:
        raise ParseError(Code.OPERATION_FORBIDDEN, ANSWERED_BY_PATIENT)
    if "recommendations" in changed:
        raise _refuse(NO_RECOMMENDATIONS)
    other = [k for k in changed if k not in CARE_TEAM_EDITS]
    if other:
        raise _refuse(f"A pending patient self-report is changed only in {' and '.join(CARE_TEAM_EDITS)} "
                      f"until the patient submits it (not {other[0]}).")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", aw.ASSESSMENT, before_save)
