"""Triggers with Parse's semantics: before_save inside the write after the built-in rules, after_save
after commit; what a trigger may not change; a raise, a crash or a hang stores nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.cloud.helpers import cloud_entries, entries, head
from tests.cloud.seen import EVENTS
from tests.conftest import Api, row_count
from tests.policy.world import DATE, build_world

PATIENT = {"fullName": "  Ada Lovelace  ", "dateOfBirth": DATE, "status": "active"}


async def _patient(api: Api, mrn: str, **extra: Any) -> Any:
    return await api.post("/classes/Patient", {**PATIENT, "mrn": mrn, **extra}, master=True)


async def test_before_save_changes_what_is_stored_and_the_answer_says_so(api: Api) -> None:
    r = await _patient(api, "M-1")
    assert r.status_code == 201, r.text
    assert r.json()["fullName"] == "Ada Lovelace"  # a value a trigger set is echoed, as Parse does
    oid = r.json()["objectId"]
    got = (await api.get(f"/classes/Patient/{oid}", master=True)).json()
    assert got["fullName"] == "Ada Lovelace"
    r = await api.put(f"/classes/Patient/{oid}", {"fullName": " Ada King "}, master=True)
    assert r.status_code == 200 and r.json()["fullName"] == "Ada King"
    assert (await api.get(f"/classes/Patient/{oid}", master=True)).json()["fullName"] == "Ada King"


async def test_the_writes_ledger_entry_names_the_trigger_and_the_fields_it_changed(api: Api, core: Any) -> None:
    seq = await head(core)
    r = await _patient(api, "M-3")
    assert r.status_code == 201, r.text
    oid = r.json()["objectId"]
    [(event, details, meta)] = await entries(core, seq, oid)
    assert (event, details) == ("create", "fields: dateOfBirth, fullName, mrn, status")
    assert meta["cloudTriggers"] == {"before_save Patient": ["fullName"]}  # it trimmed what the client sent

    seq = await head(core)
    r = await api.put(f"/classes/Patient/{oid}", {"mrn": "STAMP"}, master=True)
    assert r.status_code == 200 and r.json()["status"] == "flagged"
    [(event, details, meta)] = await entries(core, seq, oid)
    assert (event, details) == ("update", "fields: mrn")  # the client sent mrn only
    assert meta["cloudTriggers"] == {"before_save Patient": ["status"]}  # the trigger set status: named

    seq = await head(core)
    assert (await api.put(f"/classes/Patient/{oid}", {"mrn": "M-4"}, master=True)).status_code == 200
    [(event, details, meta)] = await entries(core, seq, oid)
    assert (details, "cloudTriggers" in meta) == ("fields: mrn", False)  # the trigger changed nothing


@pytest.mark.parametrize(("mrn", "code", "message"), [
    ("REFUSE", 142, "MRN REFUSE is reserved"),
    ("CRASH", 141, "patient trigger crashed"),
    ("HANG", 141, "Script timed out"),
    ("WIDEN", 141, "before_save of Patient may not change ACL: the server sets the ACL of this class"),
    ("NEWFIELD", 141, "before_save of Patient may not change nickname: Patient has no such field"),
])
async def test_a_refusing_crashing_or_hanging_trigger_stores_nothing(api: Api, core: Any, mrn: str, code: int,
                                                                     message: str) -> None:
    before = await row_count(core, "Patient")
    r = await _patient(api, mrn)
    assert (r.status_code, r.json()) == (400, {"code": code, "error": message})
    assert await row_count(core, "Patient") == before
    assert "Traceback" not in r.text


async def test_a_trigger_cannot_change_what_the_server_owns(api: Api, core: Any) -> None:
    w = await build_world(api)
    doc = w.token("physician")
    body = {**w.body("MedicalNote", "physician"), "title": "sign it"}
    notes = await row_count(core, "MedicalNote")
    r = await api.post("/classes/MedicalNote", body, session=doc)
    assert r.json() == {"code": 141, "error": "before_save of MedicalNote may not change status: the server sets it"}
    r = await api.post("/classes/MedicalNote", {**body, "title": "steal it"}, session=doc)
    assert r.json() == {"code": 141, "error": "before_save of MedicalNote may not change author: the server sets it"}
    assert await row_count(core, "MedicalNote") == notes
    # an ordinary draft, then an update that tries to sign it through the trigger
    r = await api.post("/classes/MedicalNote", {**body, "title": "fine"}, session=doc)
    assert r.status_code == 201, r.text
    oid = r.json()["objectId"]
    r = await api.put(f"/classes/MedicalNote/{oid}", {"title": "sign it"}, session=doc)
    assert r.json()["code"] == 141
    stored = (await api.get(f"/classes/MedicalNote/{oid}", master=True)).json()
    assert (stored["status"], stored["title"]) == ("draft", "fine")


@pytest.mark.parametrize(("role", "field"), [("specialist", "status"), ("resident", "contentHash")])
async def test_a_trigger_cannot_forge_a_signature(api: Api, core: Any, role: str, field: str) -> None:
    w = await build_world(api)
    await w.member("outsider", "Patient")  # a signer not yet asked
    before = await row_count(core, "Signature")
    body = {**w.body("Signature", "physician"), "signatureRole": role, "signer": w.user("outsider")}
    r = await api.post("/classes/Signature", body, session=w.token("physician"))
    assert r.json() == {"code": 141, "error": f"before_save of Signature may not change {field}: the server sets it"}
    assert await row_count(core, "Signature") == before


async def test_after_save_runs_after_commit_and_writes_through_the_pipeline_naming_itself(api: Api, core: Any) -> None:
    seq = await head(core)
    r = await _patient(api, "M-2", fullName="Flagged Person")
    assert r.status_code == 201, r.text
    oid = r.json()["objectId"]
    assert oid in EVENTS
    got = (await api.get(f"/classes/Patient/{oid}", master=True)).json()
    assert got["status"] == "flagged"  # the trigger's own save, through the same rules
    assert await cloud_entries(core, seq) == [("update", "Patient", oid, "after_save Patient")]


async def test_a_failing_after_save_is_logged_and_never_undoes_the_write(
    api: Api, core: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="chartkeep.cloud"):
        r = await _patient(api, "AFTER-CRASH")
    assert r.status_code == 201, r.text
    assert (await api.get(f"/classes/Patient/{r.json()['objectId']}", master=True)).status_code == 200
    assert any("after_save Patient" in rec.getMessage() and rec.exc_info for rec in caplog.records)


async def test_before_delete_may_refuse_and_after_delete_follows_the_commit(api: Api, core: Any) -> None:
    locked = (await api.post("/classes/CloudThing", {"locked": True}, master=True)).json()["objectId"]
    loose = (await api.post("/classes/CloudThing", {"locked": False}, master=True)).json()["objectId"]
    r = await api.delete(f"/classes/CloudThing/{locked}", master=True)
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "A locked thing stays"})
    assert await row_count(core, "CloudThing") == 2
    assert (await api.delete(f"/classes/CloudThing/{loose}", master=True)).status_code == 200
    assert await row_count(core, "CloudThing") == 1
    assert f"deleted {loose}" in EVENTS


async def test_a_trigger_sees_and_changes_the_fields_a_write_adds_to_a_new_class(api: Api) -> None:
    r = await api.post("/classes/CloudThing", {"label": "Ward B"}, master=True)  # creates the class
    assert r.status_code == 201 and r.json()["label"] == "ward b", r.text
    got = (await api.get(f"/classes/CloudThing/{r.json()['objectId']}", master=True)).json()
    assert got["label"] == "ward b"


async def test_the_clients_context_reaches_the_trigger(api: Api) -> None:
    r = await api.post("/classes/CloudThing", {"label": "x", "_context": {"label": "From Body"}}, master=True)
    assert r.json()["label"] == "from body"
    r = await api.post("/classes/CloudThing", {"label": "x"}, master=True,
                       headers={"X-Parse-Cloud-Context": '{"label": "From Header"}'})
    assert r.json()["label"] == "from header"
    r = await api.post("/classes/CloudThing", {"label": "x"}, master=True, headers={"X-Parse-Cloud-Context": "{"})
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "X-Parse-Cloud-Context is not valid JSON"})
