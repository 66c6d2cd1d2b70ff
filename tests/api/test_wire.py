"""The wire contract: keys, the JS SDK's text/plain POST form, CORS, health, config, schemas auth."""

from __future__ import annotations

import json

from tests.conftest import APP_ID, MASTER_KEY, Api


async def test_missing_or_wrong_app_id_is_403(api: Api) -> None:
    for headers in ({}, {"X-Parse-Application-Id": "wrong"}):
        r = await api.client.get("/parse/classes/OpenPatient", headers=headers)
        assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


async def test_health_needs_no_keys(api: Api) -> None:
    r = await api.client.get("/parse/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_js_sdk_body_form(api: Api) -> None:
    user = await api.signup("sdkuser")
    payload = {
        "_method": "GET", "_ApplicationId": APP_ID, "_SessionToken": user["sessionToken"],
        "_ClientVersion": "js8.6.0", "_InstallationId": "abc",
    }
    r = await api.client.post("/parse/users/me", content=json.dumps(payload), headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["username"] == "sdkuser"
    create = {"_ApplicationId": APP_ID, "_MasterKey": MASTER_KEY, "mrn": "J1", "fullName": "JS", "status": "active",
              "dateOfBirth": {"__type": "Date", "iso": "2000-01-01T00:00:00.000Z"}}
    r = await api.client.post("/parse/classes/OpenPatient", content=json.dumps(create), headers={"Content-Type": "text/plain"})
    assert r.status_code == 201
    find = {"_method": "GET", "_ApplicationId": APP_ID, "where": {"mrn": "J1"}, "limit": 5}
    r = await api.client.post("/parse/classes/OpenPatient", content=json.dumps(find), headers={"Content-Type": "text/plain"})
    assert [p["fullName"] for p in r.json()["results"]] == ["JS"]
    delete = {"_method": "DELETE", "_ApplicationId": APP_ID}
    oid = r.json()["results"][0]["objectId"]
    r = await api.client.post(f"/parse/classes/OpenPatient/{oid}", content=json.dumps(delete),
                              headers={"Content-Type": "text/plain"})
    assert r.json() == {}


async def test_cors_preflight_and_headers(api: Api) -> None:
    r = await api.client.options("/parse/classes/OpenPatient", headers={"Origin": "http://app.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET,PUT,POST,DELETE,OPTIONS"
    assert "X-Parse-Session-Token" in r.headers["access-control-allow-headers"]
    r = await api.get("/classes/OpenPatient")
    assert r.headers["access-control-allow-origin"] == "*"


async def test_master_key_only_endpoints(api: Api) -> None:
    r = await api.get("/schemas")
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    r = await api.get("/schemas", master=True)
    names = {s["className"] for s in r.json()["results"]}
    assert {"_User", "_Role", "_Session", "Patient", "MedicalNote", "PatientProfile", "AuditLog"} <= names


async def test_master_key_from_disallowed_ip_is_403(core, api: Api) -> None:
    core.settings.master_key_ips = ["10.9.8.7"]
    r = await api.get("/schemas", master=True)
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


async def test_wrong_master_key_is_refused(api: Api) -> None:
    r = await api.get("/classes/OpenPatient", headers={"X-Parse-Master-Key": "nope"})
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})


async def test_config(api: Api) -> None:
    assert (await api.get("/config")).json() == {"params": {}}


async def test_schema_of_seed_class(api: Api) -> None:
    s = (await api.get("/schemas/OpenMedicalNote", master=True)).json()
    assert s["className"] == "OpenMedicalNote"
    assert s["fields"]["patient"] == {"type": "Pointer", "targetClass": "OpenPatient", "required": True}
    assert s["fields"]["requiresCosign"] == {"type": "Boolean"}
    assert s["fields"]["objectId"] == {"type": "String"}
    u = (await api.get("/schemas/_User", master=True)).json()
    assert u["fields"]["role"] == {"type": "String", "required": True}
