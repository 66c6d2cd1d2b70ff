"""The server scores PHQ-9 and GAD-7 on every write path; a bad item changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.behavioral.helpers import (
    assess,
    assessment_body,
    build_clinic,
    find,
    gad7,
    phq9,
    refused,
    snapshot,
)
from tests.conftest import Api


async def test_phq9_and_gad7_are_scored_and_client_scores_overwritten(api: Api) -> None:
    c = await build_clinic(api)
    got = await assess(c, status="completed", data=phq9([1, 2, 0, 3, 1, 0, 2, 1, 0]), totalScore=99,
                       severity="none", crisisFlag=True, version=7)
    assert (got["status"], got["totalScore"], got["severity"], got["crisisFlag"], got["version"]) == (
        "completed", 10, "moderate", False, 1)
    assert got["data"] == phq9([1, 2, 0, 3, 1, 0, 2, 1, 0])  # data is stored as sent
    got = await assess(c, data=gad7({"item1": 3, "item2": 3, "item3": 3, "item4": 3, "item5": 3, "item6": 0,
                                     "item7": 0}))
    assert (got["status"], got["totalScore"], got["severity"], got["crisisFlag"]) == ("pending", 15, "severe", False)
    free = await assess(c, data={"instrument": "Intake interview", "mood": "low"}, totalScore=3, severity="mild")
    assert not {"totalScore", "severity", "crisisFlag"} & set(free)  # free-form: not scored, client values dropped
    assert await find(c, "CrisisInterventionLog") == []  # no positive item 9 anywhere


async def test_a_pending_assessment_is_rescored_when_answered(api: Api) -> None:
    c = await build_clinic(api)
    got = await assess(c, data={"instrument": "PHQ-9"})
    assert "totalScore" not in got  # pending and unanswered: nothing to score
    path = f"/classes/IntakeAssessment/{got['objectId']}"
    r = await api.put(path, {"data": phq9([3, 3, 3, 3, 3, 3, 2, 0, 0]), "totalScore": 1}, session=c.token("nurse"))
    assert r.status_code == 200, r.text
    r = await api.put(path, {"status": "completed"}, session=c.token("doc"))
    assert r.status_code == 200, r.text
    stored = (await api.get(path, master=True)).json()
    assert (stored["status"], stored["totalScore"], stored["severity"]) == ("completed", 20, "severe")


BAD: list[tuple[Any, str]] = [
    ([0] * 8, "PHQ-9 needs exactly 9 answers; got 8."),
    ([0, 0, 3.5, 0, 0, 0, 0, 0, 0], "PHQ-9 item 3 must be an integer from 0 to 3; got 3.5."),
    ([0, 0, 0, 0, 0, 0, 0, 0, -1], "PHQ-9 item 9 must be an integer from 0 to 3; got -1."),
    ([0, 4, 0, 0, 0, 0, 0, 0, 0], "PHQ-9 item 2 must be an integer from 0 to 3; got 4."),
    (["2", 0, 0, 0, 0, 0, 0, 0, 0], 'PHQ-9 item 1 must be an integer from 0 to 3; got "2".'),
    ([0, 0, 0, 0, 0, 0, 0, True, 0], "PHQ-9 item 8 must be an integer from 0 to 3; got true."),
    ([0, 0, 0, 0, None, 0, 0, 0, 0], "PHQ-9 item 5 must be an integer from 0 to 3; got null."),
]


@pytest.mark.parametrize(("answers", "message"), BAD)
async def test_bad_answers_are_refused_and_nothing_is_written(api: Api, core: Any, answers: Any,
                                                              message: str) -> None:
    c = await build_clinic(api)
    pending = await assess(c, data={"instrument": "PHQ-9"})
    before = await snapshot(core)
    for status in ("completed", "pending"):
        r = await api.post("/classes/IntakeAssessment", assessment_body(c, status=status, data=phq9(answers)),
                           session=c.token("doc"))
        refused(r, 142, message)
    r = await api.put(f"/classes/IntakeAssessment/{pending['objectId']}", {"data": phq9(answers)},
                      session=c.token("doc"))
    refused(r, 142, message)
    assert await snapshot(core) == before


async def test_a_completed_phq9_needs_its_answers(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    pending = await assess(c, data={"instrument": "PHQ-9"})
    before = await snapshot(core)
    r = await api.put(f"/classes/IntakeAssessment/{pending['objectId']}", {"status": "completed"},
                      session=c.token("doc"))
    refused(r, 142, "A completed PHQ-9 needs its 9 answers (data.answers).")
    assert await snapshot(core) == before
