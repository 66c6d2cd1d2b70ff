"""Consent: a RecordGrant opening one segmented record (psychotherapy, 42 CFR Part 2) to one user —
read by the grant's own readers (grantee, grantor, auditors), nobody else; revoked, it is gone."""

from __future__ import annotations

from tests.clinical.helpers import draft
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.fhir.test_reads import nothing
from tests.policy.world import build_world

PSYTHPN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSYTHPN",
           "display": "psychotherapy note information sensitivity"}


async def test_a_record_grant_is_a_consent_for_its_own_readers(api: Api) -> None:
    w = await build_world(api)
    pid = w.ids["Patient"]
    note = (await draft(w, "physician", noteType="psychotherapy"))["note"]["objectId"]
    nothing(await get(api, f"/DocumentReference/{note}", w.token("nurse")))
    r = await api.post("/classes/RecordGrant", {"recordClass": "MedicalNote", "recordId": note, "grantee": w.user("nurse"),
                                               "reason": "consult on medication",
                                               "expiresAt": {"__type": "Date", "iso": "2099-01-01T00:00:00.000Z"}},
                       session=w.token("physician"))
    assert r.status_code == 201, r.text
    grant = r.json()["objectId"]
    nurse, physician = w.users["nurse"]["objectId"], w.users["physician"]["objectId"]
    doc = (await get(api, f"/DocumentReference/{note}", w.token("nurse"))).json()
    assert doc["meta"]["security"] == [PSYTHPN]  # the grant opens the note, label and all
    consent = (await get(api, f"/Consent/{grant}", w.token("nurse"))).json()
    assert consent["status"] == "active" and consent["patient"] == {"reference": f"Patient/{pid}"}
    assert consent["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consent["performer"] == [{"reference": f"Practitioner/{physician}"}]
    assert consent["policyRule"] == {"text": "consult on medication"}
    provision = consent["provision"]
    assert provision["type"] == "permit" and provision["period"]["end"] == "2099-01-01T00:00:00.000Z"
    assert provision["actor"][0]["reference"] == {"reference": f"Practitioner/{nurse}"}
    assert provision["data"] == [{"meaning": "instance", "reference": {"reference": f"DocumentReference/{note}"}}]
    assert provision["securityLabel"] == [PSYTHPN]
    for query in (f"actor=Practitioner/{nurse}", f"data=DocumentReference/{note}", "status=active", f"_id={grant}",
                  f"patient=Patient/{pid}", f"patient={pid}"):
        assert ids((await get(api, f"/Consent?{query}", w.token("physician"))).json()) == [grant], query
    for query in (f"actor={physician}", "data=Flag/x", "status=inactive", f"patient=Patient/bh-{w.ids['PatientProfile']}"):
        assert (await get(api, f"/Consent?{query}", w.token("physician"))).json()["total"] == 0, query
    issue(await get(api, "/Consent?status=draft", w.token("physician")), 400, "invalid")
    assert ids((await get(api, f"/Consent?patient=Patient/{pid}", w.token("nurse"))).json()) == [grant]
    # the patient search reads the patient's records as the caller: the notes are closed to an auditor
    issue(await get(api, f"/Consent?patient=Patient/{pid}", w.token("auditor")), 403, "forbidden", "MedicalNote")
    # the auditor reads the grant but not the note: no patient, no labels from it
    audited = (await get(api, f"/Consent/{grant}", w.token("auditor"))).json()
    assert audited["id"] == grant and "patient" not in audited and "securityLabel" not in audited["provision"]
    # nobody else: a colleague on the care team, an outsider, the patient
    for who in ("scribe", "outsider", "patient"):
        nothing(await get(api, f"/Consent/{grant}", w.token(who)))
        r = await get(api, "/Consent", w.token(who))
        if r.status_code == 403:
            nothing(r)
        else:
            assert r.json()["total"] == 0, who
    # revoked: gone, and the note with it
    assert (await api.delete(f"/classes/RecordGrant/{grant}", session=w.token("physician"))).status_code == 200
    nothing(await get(api, f"/Consent/{grant}", w.token("nurse")))
    nothing(await get(api, f"/DocumentReference/{note}", w.token("nurse")))
