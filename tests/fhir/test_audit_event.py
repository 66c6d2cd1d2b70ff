"""AuditEvent from the ledger: auditors and admins only (anyone else 403), mapped from the ledger
rows (who, what, patient, outcome), searched by patient, date, type, agent and outcome; reading it
leaves the ledger's own audit_read entry."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.fhir.test_export import lines, run_export
from tests.policy.world import build_world


def entry_types(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["type"]["code"] for e in bundle.get("entry", [])]


async def test_the_ledger_as_audit_events_for_auditors(api: Api, core: Any) -> None:
    w = await build_world(api)
    pid, bh = w.ids["Patient"], w.ids["PatientProfile"]
    nurse = w.users["nurse"]["objectId"]
    assert (await get(api, f"/Patient/{pid}", w.token("nurse"))).status_code == 200  # a read entry
    refused = await api.get(f"/classes/Patient/{pid}", session=w.token("outsider"))
    assert refused.status_code == 404
    token = w.token("auditor")
    reads = (await get(api, f"/AuditEvent?patient=Patient/{pid}&type=read&agent={nurse}", token)).json()
    assert reads["total"] == 1
    event = reads["entry"][0]["resource"]
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["type"] == {"system": "urn:chartkeep:audit-event-type", "code": "read"}
    assert event["agent"][0]["who"] == {"identifier": {"system": "urn:chartkeep:user", "value": nurse}}
    assert event["agent"][0]["requestor"] is True and event["agent"][0]["network"]["address"]
    assert event["entity"][0]["what"] == {"reference": f"Patient/{pid}"}
    assert event["entity"][1]["what"] == {"display": f"Patient {pid}"}
    same = (await get(api, f"/AuditEvent/{event['id']}", token)).json()
    assert same["recorded"] == event["recorded"] and same["id"] == event["id"]
    # the behavioral-health chart's entries, through the AuditLog view
    bh_events = (await get(api, f"/AuditEvent?patient=Patient/bh-{bh}&_count=500", token)).json()
    assert bh_events["total"] > 0
    assert all(e["resource"]["entity"][0]["what"] == {"reference": f"Patient/bh-{bh}"} for e in bh_events["entry"])
    assert "create" in entry_types(bh_events)
    # failures, dates, sort
    failed = (await get(api, "/AuditEvent?outcome=4&_count=500", token)).json()
    assert failed["total"] > 0 and {e["resource"]["outcome"] for e in failed["entry"]} == {"4"}
    assert (await get(api, "/AuditEvent?date=lt2000-01-01", token)).json()["total"] == 0
    newest = (await get(api, "/AuditEvent?_sort=-date&_count=1", token)).json()
    assert entry_types(newest) == ["audit_read"]  # the auditor's own reads are in the ledger
    before = await head(core)
    await get(api, f"/AuditEvent?patient=Patient/{pid}", w.token("admin"))
    assert [e[0] for e in await entries_after(core, before)] == ["audit_read"]
    issue(await get(api, "/AuditEvent?outcome=2", token), 400, "invalid")
    assert ids((await get(api, "/AuditEvent?type=zz", token)).json()) == []


async def test_nobody_else_reads_the_ledger_through_fhir(api: Api) -> None:
    w = await build_world(api)
    found = (await get(api, "/AuditEvent?_count=1", w.token("auditor"))).json()
    some = found["entry"][0]["resource"]["id"]
    for who in ("physician", "nurse", "outsider", "patient", "provider"):
        issue(await get(api, "/AuditEvent", w.token(who)), 403, "forbidden", "Permission denied")
        issue(await get(api, f"/AuditEvent/{some}", w.token(who)), 403, "forbidden")
        issue(await get(api, f"/AuditEvent?patient=Patient/{w.ids['Patient']}", w.token(who)), 403, "forbidden")
    issue(await get(api, "/AuditEvent"), 401, "login")


async def test_the_system_export_has_the_ledger_for_auditors_only(api: Api) -> None:
    w = await build_world(api)
    _, audited = await run_export(api, w.token("auditor"), _type="AuditEvent,Patient")
    [ledger] = audited["output"]  # the auditor reads the ledger, not the charts
    assert ledger["type"] == "AuditEvent" and ledger["count"] > 10
    assert {e["resourceType"] for e in await lines(api, w.token("auditor"), ledger["url"])} == {"AuditEvent"}
    # a clinician's export completes without the ledger (the class is closed to her), charts included
    _, clinician = await run_export(api, w.token("physician"), _type="AuditEvent,Patient")
    assert [o["type"] for o in clinician["output"]] == ["Patient"]


async def test_a_revinclude_of_the_ledger_adds_nothing_for_a_clinician(api: Api) -> None:
    w = await build_world(api)
    pid = w.ids["Patient"]
    bundle = (await get(api, f"/Patient?_id={pid}&_revinclude=AuditEvent:patient&_revinclude=Encounter:patient",
                        w.token("physician"))).json()
    assert ids(bundle, "Patient") == [pid] and ids(bundle, "Encounter") == [w.ids["Encounter"]]
    assert ids(bundle, "AuditEvent") == []
