"""Read, vread, history and search of the EHR chart, through the same access rules and ledger."""

from __future__ import annotations

import base64
from typing import Any

from tests.audit.helpers import entries_after, head
from tests.clinical.helpers import draft, ok
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.policy.world import build_world


async def test_patient_read_search_by_mrn_name_and_birthdate(api: Api) -> None:
    w = await build_world(api)
    pid, token = w.ids["Patient"], w.token("physician")
    body = (await get(api, f"/Patient/{pid}", token)).json()
    mrn = (await api.get(f"/classes/Patient/{pid}", master=True)).json()["mrn"]
    assert body["identifier"][0] == {"use": "usual", "type": body["identifier"][0]["type"],
                                     "system": "urn:chartkeep:mrn:ehr", "value": mrn}
    assert body["birthDate"] == "2026-01-05" and body["active"] is True
    assert body["generalPractitioner"] == [{"reference": f"Practitioner/{w.users['physician']['objectId']}"}]
    for query in (f"identifier={mrn}", f"identifier=urn:chartkeep:mrn:ehr|{mrn}", "name=pat",
                  "birthdate=2026-01", "birthdate=ge2026-01-05&birthdate=lt2026-01-06", f"_id={pid}"):
        bundle = (await get(api, f"/Patient?{query}", token)).json()
        assert ids(bundle) == [pid], query
        assert bundle["total"] == 1 and bundle["type"] == "searchset"
    assert ids((await get(api, "/Patient?active=true&name=pat", token)).json()) == [pid]
    for query in ("identifier=other|" + mrn, "name=zed", "birthdate=lt2026-01-05", "birthdate=gt2026-01-05",
                  f"active=false&_id={pid}"):
        assert (await get(api, f"/Patient?{query}", token)).json()["total"] == 0, query


def nothing(r: Any) -> None:
    """Not found, or refused for the whole class (a patient account on EHR classes): never the data."""
    if r.status_code == 403:
        issue(r, 403, "forbidden", "Permission denied")
    else:
        issue(r, 404, "not-found")


async def test_outsider_patient_and_auditor_get_nothing_of_the_chart(api: Api) -> None:
    w = await build_world(api)
    pid = w.ids["Patient"]
    for who in ("outsider", "patient", "auditor"):
        token = w.token(who)
        nothing(await get(api, f"/Patient/{pid}", token))
        nothing(await get(api, f"/Encounter/{w.ids['Encounter']}", token))
        nothing(await get(api, f"/DocumentReference/{w.ids['MedicalNote']}", token))
        nothing(await get(api, f"/Patient/{pid}/$everything", token))
        for path in (f"/Encounter?patient=Patient/{pid}", "/DocumentReference", f"/Patient?_id={pid}"):
            r = await get(api, path, token)
            if r.status_code == 403:
                nothing(r)  # the class is closed to this role (class-level permissions)
            else:
                assert r.json()["total"] == 0 and "entry" not in r.json(), (who, path)
    issue(await get(api, f"/Patient/{pid}", w.token("outsider")), 404, "not-found")


async def test_a_fhir_read_leaves_the_same_ledger_entry_as_the_parse_api(api: Api, core: Any) -> None:
    w = await build_world(api)
    pid, token = w.ids["Patient"], w.token("nurse")
    me = w.users["nurse"]["objectId"]
    before = await head(core)
    assert (await get(api, f"/Encounter?patient={pid}", token)).status_code == 200
    fhir_entries = await entries_after(core, before)
    assert fhir_entries == [("read", me, pid, "Encounter", w.ids["Encounter"], "success")]
    before = await head(core)
    await api.get("/classes/Encounter", session=token, params={"where": '{"patient":{"__type":"Pointer",'
                                                               f'"className":"Patient","objectId":"{pid}"}}}}'})
    assert await entries_after(core, before) == fhir_entries
    before = await head(core)
    await get(api, f"/Patient/{pid}", w.token("outsider"))
    assert await entries_after(core, before) == []  # nothing returned, nothing of the chart named


async def test_encounter_search_by_patient_date_and_status(api: Api) -> None:
    w = await build_world(api)
    pid, token = w.ids["Patient"], w.token("physician")
    enc = (await get(api, f"/Encounter/{w.ids['Encounter']}", token)).json()
    assert enc["status"] == "in-progress" and enc["subject"] == {"reference": f"Patient/{pid}"}
    assert enc["class"]["code"] == "AMB" and enc["period"]["start"] == "2026-01-05T10:00:00.000Z"
    for query, found in (("date=2026-01-05", 1), ("date=gt2026-01-05", 0), ("date=le2026-01-05T10:00", 1),
                         ("date=lt2026-01-05T10:00:00Z", 0), ("date=ge2026-01-05T11:00:00%2B01:00", 1),
                         ("status=in-progress", 1), ("status=finished", 0), (f"subject=Patient/{pid}", 1),
                         ("patient=Patient/bh-x", 0), ("_lastUpdated=gt2000", 1), ("_lastUpdated=lt2000", 0)):
        assert (await get(api, f"/Encounter?{query}", token)).json()["total"] == found, query


async def test_document_reference_current_version_history_and_authenticator(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    note = (await draft(w, "physician"))["note"]["objectId"]
    await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("physician")["objectId"], "role": "author"}]}, token)
    await ok(api, "signNote", {"note": note}, token)
    await ok(api, "amendNote", {"note": note, "amendmentReason": "dose corrected", "plan": "Recheck in 1 week"},
             token)
    doc = (await get(api, f"/DocumentReference/{note}", token)).json()
    assert doc["meta"]["versionId"] == "2" and doc["status"] == "current" and doc["docStatus"] == "amended"
    assert doc["type"]["coding"][0]["code"] == "11506-3"
    text = base64.b64decode(doc["content"][0]["attachment"]["data"]).decode()
    assert text == "Plan: Recheck in 1 week"  # the current version, as its editor saved it
    assert "authenticator" not in doc  # version 2 is not signed yet
    first = (await get(api, f"/DocumentReference/{note}/_history/1", token)).json()
    assert first["status"] == "superseded" and first["meta"]["versionId"] == "1"
    assert "Subjective: Headache for 3 days\nObjective: BP 128/82" in base64.b64decode(first["content"][0]["attachment"]["data"]).decode()
    assert first["authenticator"] == {"reference": f"Practitioner/{w.users['physician']['objectId']}"}
    history = (await get(api, f"/DocumentReference/{note}/_history", token)).json()
    assert history["type"] == "history" and [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    issue(await get(api, f"/DocumentReference/{note}/_history/3", token), 404, "not-found")
    issue(await get(api, f"/DocumentReference/{note}/_history/1", w.token("outsider")), 404, "not-found")


async def test_psychotherapy_notes_need_a_grant(api: Api) -> None:
    w = await build_world(api)
    note = (await draft(w, "physician", noteType="psychotherapy"))["note"]["objectId"]
    author = (await get(api, f"/DocumentReference/{note}", w.token("physician"))).json()
    assert author["meta"]["security"][0]["code"] == "PSYTHPN"
    for who in ("nurse", "scribe", "admin", "patient", "outsider"):
        nothing(await get(api, f"/DocumentReference/{note}", w.token(who)))
        found = await get(api, f"/DocumentReference?patient={w.ids['Patient']}", w.token(who))
        if found.status_code == 403:
            nothing(found)
        else:
            assert note not in ids(found.json()), who
    r = await api.post("/classes/RecordGrant", {"recordClass": "MedicalNote", "recordId": note,
                                               "grantee": w.user("nurse"), "reason": "consult"},
                       session=w.token("physician"))
    assert r.status_code == 201, r.text
    assert (await get(api, f"/DocumentReference/{note}", w.token("nurse"))).status_code == 200


async def test_include_adds_the_patient_and_practitioner_once_each(api: Api) -> None:
    w = await build_world(api)
    token, pid = w.token("physician"), w.ids["Patient"]
    await draft(w, "physician")
    r = await get(api, f"/DocumentReference?patient={pid}&_include=DocumentReference:subject"
                       "&_include=DocumentReference:author", token)
    bundle = r.json()
    modes = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert modes.count(("DocumentReference", "match")) == 2 and bundle["total"] == 2
    assert [m for m in modes if m[1] == "include"] == [("Patient", "include"), ("Practitioner", "include")]
    included = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert included["Patient"]["id"] == pid
    assert included["Practitioner"]["id"] == w.users["physician"]["objectId"]
    issue(await get(api, "/DocumentReference?_include=DocumentReference:colour", token), 400, "invalid",
          "DocumentReference:author")
    issue(await get(api, "/DocumentReference?_include=Encounter:patient", token), 400, "invalid")
    issue(await get(api, "/DocumentReference?_include:iterate=DocumentReference:author", token), 400, "not-supported")
    issue(await get(api, "/Patient?_revinclude=Encounter:colour", token), 400, "invalid", "Encounter:patient")
    both = (await get(api, f"/Patient?_id={pid}&_revinclude=Encounter:patient&_revinclude=DocumentReference:subject",
                      token)).json()
    found = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in both["entry"]]
    assert found == [("Patient", "match"), ("Encounter", "include"), ("DocumentReference", "include"),
                     ("DocumentReference", "include")] and both["total"] == 1
    none = (await get(api, f"/Patient?_id={pid}&_revinclude=Encounter:patient", w.token("outsider"))).json()
    assert none["total"] == 0 and "entry" not in none


async def test_a_signature_is_a_provenance_of_the_signed_version(api: Api) -> None:
    w = await build_world(api)
    token, pid = w.token("physician"), w.ids["Patient"]
    note = (await draft(w, "physician"))["note"]["objectId"]
    await ok(api, "requestSignatures", {"note": note, "signers": [
        {"signer": w.user("physician")["objectId"], "role": "author"}]}, token)
    signed = (await ok(api, "signNote", {"note": note}, token))["signature"]
    stored = (await api.get(f"/classes/Signature/{signed['objectId']}", session=token)).json()
    found = (await get(api, f"/Provenance?target=DocumentReference/{note}", token)).json()
    assert ids(found) == [signed["objectId"]]
    prov = found["entry"][0]["resource"]
    assert prov["target"] == [{"reference": f"DocumentReference/{note}/_history/1"}]
    assert prov["recorded"] == stored["signedAt"]["iso"]
    assert prov["agent"][0]["who"] == {"reference": f"Practitioner/{w.users['physician']['objectId']}"}
    assert prov["entity"][0]["what"]["identifier"] == {"system": "urn:chartkeep:sha256", "value": stored["contentHash"]}
    assert prov["signature"][0]["type"][0]["code"] == "1.2.840.10065.1.12.1.1"
    assert ids((await get(api, f"/Provenance?patient={pid}", token)).json()) == [signed["objectId"]]
    assert ids((await get(api, f"/Provenance?patient={pid}&when=lt2000", token)).json()) == []
    # the requested (unsigned) signature of the world's note is no Provenance
    assert (await get(api, "/Provenance", token)).json()["total"] == 1
    everything = (await get(api, f"/Patient/{pid}/$everything", token)).json()
    assert ("Provenance", signed["objectId"]) in {(e["resource"]["resourceType"], e["resource"]["id"])
                                                  for e in everything["entry"]}
    outsider = await get(api, f"/Provenance?patient={pid}", w.token("outsider"))
    assert outsider.status_code == 403 or outsider.json()["total"] == 0
    nothing(await get(api, f"/Provenance/{signed['objectId']}", w.token("outsider")))
