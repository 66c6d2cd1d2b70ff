"""A positive PHQ-9 item 9 raises a crisis flag: an ``open``, ``high``-priority
``CrisisInterventionLog`` for the patient's care team, in the assessment's own transaction.

The log is an ordinary create under the caller's context (the crisis-log rules, the care-team
ACL, the ``create`` ledger entry and the LiveQuery ``create`` event to subscribed team members all
apply), plus one ``crisis_flag`` ledger entry of severity ``high``. One flag per assessment: a
later edit or a revision of an assessment whose chain already raised a log raises no second one.
"""

from __future__ import annotations

from chartkeep.behavioral import assessment_workflow as aw
from chartkeep.behavioral.instruments import Score
from chartkeep.core.handles import Core
from chartkeep.core.hooks import WriteEvent
from chartkeep.ledger import entries
from chartkeep.records import writes
from chartkeep.records.cloud_values import pointer
from chartkeep.schema.dates import iso_ms, now_ms

ANSWERS = {1: "several days", 2: "more than half the days", 3: "nearly every day"}


def describe(score: Score, assessment_id: str) -> str:
    answer = score.crisis_answer or 0
    return (f"Crisis flag raised by the server: {score.instrument.name} item 9 (thoughts of being better off dead "
            f"or of self-harm) answered {answer} ({ANSWERS.get(answer, '?')}) on IntakeAssessment {assessment_id}; "
            f"total {score.total} ({score.severity}).")


async def raise_flag(core: Core, event: WriteEvent, score: Score) -> str | None:
    """The new log's id, or None when this assessment's chain already raised one."""
    conn, ctx = event.conn, event.ctx
    if await aw.crisis_log_of(conn, await aw.chain(conn, event.object_id)):
        return None
    patient = await event.value("patient")
    now = now_ms()
    body = {
        "patient": pointer(aw.PROFILE, patient), "interventionDate": {"__type": "Date", "iso": iso_ms(now)},
        "status": aw.OPEN, "priority": "high", "source": pointer(aw.ASSESSMENT, event.object_id),
        "details": describe(score, event.object_id),
    }
    created = await writes.create(core, ctx, aw.CRISIS, body, conn)
    log_id = str(created["objectId"])
    await entries.record(core, conn, [entries.entry(
        ctx, "crisis_flag", target_class=aw.CRISIS, target_id=log_id, patient=patient, patient_class=aw.PROFILE,
        severity="high", details=body["details"], metadata={"assessment": event.object_id, "item9": score.crisis_answer,
                                                            "totalScore": score.total})])
    return log_id
