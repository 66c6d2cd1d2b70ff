"""``/fhir/R4``: the CapabilityStatement, authentication, and errors as OperationOutcomes."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.registry import RESOURCES
from tests.conftest import Api
from tests.fhir.helpers import get, issue
from tests.policy.world import build_world


async def test_metadata_lists_exactly_what_is_served(api: Api) -> None:
    r = await get(api, "/metadata")
    assert r.status_code == 200
    body = r.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    served = {res["type"]: res for res in body["rest"][0]["resource"]}
    assert set(served) == set(RESOURCES) == {
        "Patient", "Practitioner", "Encounter", "DocumentReference", "Observation", "QuestionnaireResponse",
        "Appointment", "Communication", "Flag", "Provenance", "Group", "PractitionerRole", "AuditEvent", "Binary", "Consent"}
    assert {i["code"] for i in served["Patient"]["interaction"]} == {
        "read", "vread", "history-instance", "search-type", "create", "update"}
    assert {i["code"] for i in served["Flag"]["interaction"]} == {"read", "vread", "history-instance", "search-type"}
    names = {p["name"] for p in served["Encounter"]["searchParam"]}
    assert names == {"_id", "_lastUpdated", "patient", "subject", "date", "status", "identifier"}
    assert [o["name"] for o in served["Patient"]["operation"]] == ["everything", "export"]
    assert [o["name"] for o in body["rest"][0]["operation"]] == ["export"]  # system level
    assert [o["name"] for o in served["Group"]["operation"]] == ["export"]  # Group/{id}/$export


async def test_no_credentials_bad_token_revoked_token_get_401(api: Api) -> None:
    w = await build_world(api)
    patient = w.ids["Patient"]
    issue(await get(api, f"/Patient/{patient}"), 401, "login", "Authentication required")
    issue(await get(api, f"/Patient/{patient}", "r:not-a-session"), 401, "login")
    token = w.token("physician")
    assert (await get(api, f"/Patient/{patient}", token)).status_code == 200
    assert (await get(api, f"/Patient/{patient}", token, header="parse")).status_code == 200
    assert (await api.post("/logout", session=token)).status_code == 200
    r = await get(api, f"/Patient/{patient}", token)
    issue(r, 401, "login", "Invalid session token")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_master_key_only_from_the_allowed_ips(api: Api, core: Any) -> None:
    w = await build_world(api)
    core.settings.master_key_ips = ["10.9.9.9/32"]  # not the test client's address
    issue(await get(api, f"/Patient/{w.ids['Patient']}", master=True), 403, "forbidden")
    core.settings.master_key_ips = ["0.0.0.0/0", "::/0"]
    assert (await get(api, f"/Patient/{w.ids['Patient']}", master=True)).status_code == 200


async def test_errors_are_operation_outcomes(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    issue(await get(api, "/Medication", token), 404, "not-supported", "Medication")
    issue(await get(api, "/Patient/nope12345", token), 404, "not-found")
    issue(await get(api, "/Patient?color=blue", token), 400, "invalid", "Unknown search parameter 'color'")
    issue(await get(api, "/Patient?_has=x", token), 400, "not-supported", "_has")
    issue(await get(api, "/Encounter?date=yesterday", token), 400, "invalid", "Invalid date")
    issue(await get(api, "/Encounter?date=ne2026-01-01", token), 400, "not-supported", "ne")
    issue(await get(api, "/Encounter?status=sleeping", token), 400, "invalid", "Unknown status code")
    issue(await get(api, "/Patient?name:above=x", token), 400, "not-supported", ":above")
    issue(await get(api, "/Patient?_count=lots", token), 400, "invalid", "_count")
    issue(await get(api, "/Patient?_sort=color", token), 400, "invalid", "Unknown sort")
    issue(await get(api, "/Patient?_format=xml", token), 406, "not-supported")
    issue(await get(api, "/Flag/abc", token, params={"x": "1"}), 400, "invalid")
    r = await api.client.request("DELETE", f"/fhir/R4/Patient/{w.ids['Patient']}",
                                 headers={"Authorization": f"Bearer {token}"})
    issue(r, 405, "not-supported")


async def test_browsers_may_call_it(api: Api) -> None:
    r = await api.client.options("/fhir/R4/Patient", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in r.headers["access-control-allow-headers"]
    r = await get(api, "/metadata")
    assert r.headers["access-control-allow-origin"] == "*"
    issue(await get(api, ""), 401, "login")
