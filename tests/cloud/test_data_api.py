"""The data API: cloud code reads and writes as its caller unless it passes use_master_key=True, through
every built-in rule, and the ledger names the function. A hostile cloud file changes and leaks nothing."""

from __future__ import annotations

from typing import Any

from tests.behavioral.helpers import assess, assessment_body, build_clinic, phq9
from tests.clinical.helpers import draft, ok, snapshot
from tests.cloud.helpers import cloud_entries, head
from tests.conftest import Api, row_count
from tests.policy.world import build_world


async def test_queries_run_as_the_caller_unless_the_code_asks_for_the_master_key(api: Api) -> None:
    w = await build_world(api)
    r = await api.post("/functions/countPatients", {}, session=w.token("outsider"))
    assert r.json() == {"result": {"mine": 0, "all": 1}}  # on no care team: sees no chart of its own
    r = await api.post("/functions/countPatients", {}, session=w.token("nurse"))
    assert r.json() == {"result": {"mine": 1, "all": 1}}


async def test_another_care_teams_chart_stays_unreadable_and_nothing_leaks(api: Api) -> None:
    w = await build_world(api)
    r = await api.post("/functions/readChart", {"patient": w.ids["Patient"]}, session=w.token("outsider"))
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})  # as Parse maps 101
    assert "Pat" not in r.text
    r = await api.post("/functions/readChart", {"patient": w.ids["Patient"]}, session=w.token("nurse"))
    assert r.json()["result"].startswith("Pat ")


async def test_a_write_goes_through_the_rules_and_its_ledger_entry_names_the_function(api: Api, core: Any) -> None:
    w = await build_world(api)
    seq = await head(core)
    pid = w.ids["Patient"]
    r = await api.post("/functions/renamePatient", {"patient": pid, "fullName": "  Grace Hopper "},
                       session=w.token("physician"))
    assert r.status_code == 200, r.text
    got = (await api.get(f"/classes/Patient/{pid}", master=True)).json()
    assert got["fullName"] == "Grace Hopper"  # the before_save trigger ran on the function's write too
    assert await cloud_entries(core, seq) == [("update", "Patient", pid, "function renamePatient")]
    seq = await head(core)
    r = await api.post("/functions/renamePatient", {"patient": pid, "fullName": "X"}, session=w.token("outsider"))
    assert (r.status_code, r.json()["code"]) == (404, 101)  # the ACL, as for the outsider's own PUT
    assert (await api.get(f"/classes/Patient/{pid}", master=True)).json()["fullName"] == "Grace Hopper"
    assert [e[0] for e in await cloud_entries(core, seq)] == ["update"]  # the refusal, named too


async def test_a_signed_note_stays_signed_even_with_the_master_key(api: Api, core: Any) -> None:
    w = await build_world(api)
    note = (await draft(w, "physician"))["note"]["objectId"]
    await ok(api, "requestSignatures", {"note": note, "signers": [{"signer": w.user("physician"), "role": "author"}]},
             w.token("physician"))
    assert (await ok(api, "signNote", {"note": note}, w.token("physician")))["note"]["status"] == "signed"
    before = await snapshot(core)
    r = await api.post("/functions/unsignNote", {"note": note}, session=w.token("physician"))
    assert (r.status_code, r.json()["code"]) == (400, 142), r.text
    assert "signed" in r.json()["error"]
    assert await snapshot(core) == before


async def test_a_trigger_cannot_lower_a_score(api: Api, core: Any) -> None:
    c = await build_clinic(api)
    before = await row_count(core, "IntakeAssessment")
    body = assessment_body(c, data=phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]), status="completed", details="lower the score")
    r = await api.post("/classes/IntakeAssessment", body, session=c.token("doc"))
    assert r.json() == {"code": 141, "error": "before_save of IntakeAssessment may not change totalScore: "
                                              "the server sets it"}
    assert await row_count(core, "IntakeAssessment") == before
    a = await assess(c, data=phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]), status="completed", details="fine")
    assert a["totalScore"] == 24
