"""examples/cloud/main.py, the demo's cloud file: the co-sign reminder job and the PHQ-9 crisis alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.behavioral.helpers import assessment_body, build_clinic, phq9
from tests.clinical.helpers import draft, ok
from tests.cloud.helpers import cloud_core, cloud_entries, finished, head
from tests.conftest import Api
from tests.policy.world import build_world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cloud" / "main.py"


@pytest.fixture
async def core(database_url: str, tmp_path: Any) -> AsyncIterator[Any]:
    async with cloud_core(EXAMPLE, database_url=database_url, data_dir=tmp_path) as core:
        yield core


async def test_a_phq9_raising_the_crisis_flag_leaves_an_alert_only_its_care_team_reads(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    seq = await head(core)
    calm = assessment_body(c, data=phq9([1, 1, 1, 1, 1, 1, 1, 1, 0]), status="completed")
    assert (await api.post("/classes/IntakeAssessment", calm, session=c.token("doc"))).status_code == 201
    assert await cloud_entries(core, seq) == []  # no flag, no alert
    crisis = assessment_body(c, data=phq9([2, 2, 2, 2, 2, 2, 2, 2, 2]), status="completed")
    r = await api.post("/classes/IntakeAssessment", crisis, session=c.token("doc"))
    assert r.status_code == 201 and r.json().get("crisisFlag") is True, r.text
    aid = r.json()["objectId"]
    seen = (await api.get("/classes/CrisisAlert", session=c.token("doc"))).json()["results"]
    assert [(a["assessment"]["objectId"], a["totalScore"], a["raisedBy"]["objectId"]) for a in seen] == \
        [(aid, 18, c.uid("doc"))]
    assert (await api.get("/classes/CrisisAlert", session=c.token("outsider"))).json()["results"] == []
    assert [(e[1], e[3]) for e in await cloud_entries(core, seq) if e[0] == "create"] == \
        [("CrisisAlert", "after_save IntakeAssessment")]


async def test_the_reminder_job_reminds_each_overdue_cosigner_once(api: Api, core: Any) -> None:
    w = await build_world(api)
    await w.member("outsider", "Patient")  # a second physician on the team: the attending
    note = (await draft(w, "physician"))["note"]["objectId"]
    await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("outsider"), "role": "attending"}]},
             w.token("physician"))
    for expected in ("2 reminders sent, 0 already reminded", "0 reminders sent, 2 already reminded"):
        r = await api.post("/jobs/remind_cosigners", {"hours": 0}, master=True)
        done = await finished(core, r.headers["X-Parse-Job-Status-Id"])  # the world's request and this one
        assert (done["status"], done["message"]) == ("succeeded", expected)
    mine = (await api.get("/classes/CosignReminder", session=w.token("outsider"))).json()["results"]
    assert [m["medicalNote"]["objectId"] for m in mine] == [note]
    assert (await api.get("/classes/CosignReminder", session=w.token("nurse"))).json()["results"] == []
    r = await api.post("/functions/overdueCosignatures", {"hours": 0}, session=w.token("outsider"))
    assert [s["medicalNote"] for s in r.json()["result"]] == [note]
