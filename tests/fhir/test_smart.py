"""SMART on FHIR standalone launch over REST: discovery, registration, the sign-in page, code + PKCE,
refresh with rotation, revocation, every refusal, scopes narrowing (never widening) FHIR reads, and
the ledger entry of each step. On SQLite and PostgreSQL (the ``api`` fixture checks every request's
rows are named by its ledger entries)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import pytest

from chartkeep.fhir.smart import tokens as smart_tokens
from tests.api.accounts import SECRET, totp
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.fhir.smart_helpers import (
    FORM,
    REDIRECT,
    App,
    audit_entries,
    authorize_params,
    launch,
    redirected,
    register,
    sign_in,
    token,
)
from tests.policy.world import World, build_world

READ_ALL = "user/*.read offline_access"
PATIENT = "launch/patient patient/*.read offline_access"


async def events(core: Any, *types: str) -> list[dict[str, Any]]:
    return [e for e in await audit_entries(core) if e["eventType"] in types]


async def test_discovery_lists_the_endpoints_and_what_is_served(api: Api) -> None:
    r = await api.client.get("/fhir/R4/.well-known/smart-configuration")
    assert r.status_code == 200
    conf = r.json()
    base = "http://testserver/fhir/R4"
    assert conf["authorization_endpoint"] == f"{base}/auth/authorize"
    assert conf["token_endpoint"] == f"{base}/auth/token"
    assert conf["revocation_endpoint"] == f"{base}/auth/revoke"
    assert conf["code_challenge_methods_supported"] == ["S256"]
    assert set(conf["scopes_supported"]) == {"patient/*.read", "user/*.read", "launch/patient", "offline_access"}
    assert {"launch-standalone", "client-public", "client-confidential-symmetric", "context-standalone-patient",
            "permission-offline", "permission-patient", "permission-user"} <= set(conf["capabilities"])
    meta = (await get(api, "/metadata")).json()
    uris = meta["rest"][0]["security"]["extension"][0]
    assert {e["url"]: e["valueUri"] for e in uris["extension"]}["authorize"] == f"{base}/auth/authorize"


async def test_only_an_admin_registers_apps_and_redirect_uris_are_checked(api: Api, core: Any) -> None:
    body = {"client_name": "x", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}
    r = await api.client.post("/fhir/R4/auth/register", json=body, headers={"X-Parse-Application-Id": "test-app"})
    assert r.status_code == 400 and r.json()["code"] == 119
    w = await build_world(api)
    r = await api.client.post("/fhir/R4/auth/register", json=body,
                              headers={"X-Parse-Session-Token": w.token("admin")})
    assert r.status_code == 400 and r.json() == {"code": 119, "error": "Registering a SMART app needs the master key"}
    bad = await api.client.post("/fhir/R4/auth/register", json={**body, "redirect_uris": ["http://evil.example/cb"]},
                                headers={"X-Parse-Master-Key": "test-master"})
    assert bad.status_code == 400 and bad.json()["code"] == 107
    app = await register(api.client, public=False)
    assert app.secret and app.client_id.startswith("smart-")
    assert [e["targetId"] for e in await events(core, "smart_client")] == [app.client_id]
    assert app.secret not in str(await audit_entries(core))


async def test_a_standalone_launch_reads_fhir_but_is_no_parse_session(api: Api, core: Any) -> None:
    w = await build_world(api)
    app = await register(api.client)
    answer = await launch(api.client, app, "physician1", READ_ALL)
    assert answer["token_type"] == "Bearer" and answer["scope"] == READ_ALL and answer["expires_in"] == 3600
    assert "patient" not in answer
    access = answer["access_token"]
    patient = (await get(api, f"/Patient/{w.ids['Patient']}", access)).json()
    assert patient["id"] == w.ids["Patient"]
    parse = await api.get(f"/classes/Patient/{w.ids['Patient']}", session=access)
    assert parse.status_code == 400 and parse.json() == {"code": 209, "error": "Invalid session token"}
    write = await get(api, "/Patient", access, headers={})  # a search is fine …
    assert write.status_code == 200
    put = await api.client.put(f"/fhir/R4/Patient/{w.ids['Patient']}", json={"resourceType": "Patient"},
                               headers={"Authorization": f"Bearer {access}"})
    issue(put, 403, "forbidden", "read only")  # … a write is not
    granted = await events(core, "smart_grant", "smart_token")
    assert [e["eventType"] for e in granted] == ["smart_grant", "smart_token", "smart_token", "smart_token"]
    assert {e["actor"] for e in granted} == {w.users["physician"]["objectId"]}
    assert all(access not in str(e) and answer["refresh_token"] not in str(e) for e in await audit_entries(core))


async def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(api: Api, core: Any) -> None:
    w = await build_world(api)
    app = await register(api.client, public=False)
    first = await launch(api.client, app, "physician1", READ_ALL)
    r = await token(api.client, app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert (await get(api, f"/Patient/{w.ids['Patient']}", second["access_token"])).status_code == 200
    replay = await token(api.client, app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "already used" in replay.json()["error_description"]
    issue(await get(api, f"/Patient/{w.ids['Patient']}", second["access_token"]), 401, "login", "revoked")
    after = await token(api.client, app, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    assert len(await events(core, "smart_refresh")) == 3  # the spent token, the new access and refresh tokens
    assert await events(core, "smart_revoke") and await events(core, "smart_refused")
    narrower = await launch(api.client, app, "physician1", READ_ALL)
    wider = await token(api.client, app, grant_type="refresh_token", refresh_token=narrower["refresh_token"],
                        scope="user/*.read patient/*.read")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


async def test_revocation_ends_access_and_refresh(api: Api, core: Any) -> None:
    w = await build_world(api)
    app = await register(api.client)
    answer = await launch(api.client, app, "physician1", READ_ALL)
    r = await api.client.post("/fhir/R4/auth/revoke", data={"client_id": app.client_id,
                                                            "token": answer["access_token"]})
    assert r.status_code == 200
    issue(await get(api, f"/Patient/{w.ids['Patient']}", answer["access_token"]), 401, "login", "revoked")
    again = await token(api.client, app, grant_type="refresh_token", refresh_token=answer["refresh_token"])
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant",
                                                        "error_description": "the refresh was revoked"}
    unknown = await api.client.post("/fhir/R4/auth/revoke", data={"client_id": app.client_id, "token": "nope"})
    assert unknown.status_code == 200  # RFC 7009: answered alike, changes nothing
    assert len(await events(core, "smart_revoke")) == 3  # the family: its spent code, access and refresh token
    failed = [e for e in await audit_entries(core) if e["eventType"] == "auth_failed"]
    assert failed and failed[-1]["outcome"] == "failure"


@pytest.mark.parametrize("case", ["verifier", "redirect", "reused", "expired", "secret", "grant_type"])
async def test_every_refused_code_exchange(api: Api, core: Any, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await build_world(api)
    if case == "expired":
        monkeypatch.setattr(smart_tokens, "CODE_SECONDS", -1)
    app = await register(api.client, public=case != "secret")
    verifier = secrets.token_urlsafe(48)
    code = redirected(await sign_in(api.client, authorize_params(app, READ_ALL, verifier, "http://testserver"),
                                    "physician1"))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    if case == "verifier":
        form["code_verifier"] = secrets.token_urlsafe(48)
    elif case == "redirect":
        form["redirect_uri"] = REDIRECT + "/other"
    elif case == "grant_type":
        form["grant_type"] = "password"
    elif case == "reused":
        first = await token(api.client, app, **form)
        assert first.status_code == 200
    used = App(app.client_id, "wrong") if case == "secret" else app
    r = await token(api.client, used, **form)
    expected = {"verifier": (400, "invalid_grant", "code_verifier does not match"),
                "redirect": (400, "invalid_grant", "redirect_uri does not match"),
                "reused": (400, "invalid_grant", "already used"),
                "expired": (400, "invalid_grant", "expired"),
                "secret": (401, "invalid_client", "wrong client secret"),
                "grant_type": (400, "unsupported_grant_type", "grant_type")}[case]
    assert (r.status_code, r.json()["error"]) == expected[:2], r.text
    assert expected[2] in r.json()["error_description"]
    refusals = await events(core, "smart_refused")
    assert refusals and refusals[-1]["outcome"] == "failure" and expected[0:2][1] in refusals[-1]["details"]
    if case == "reused":
        issue(await get(api, f"/Patient/{w.ids['Patient']}", first.json()["access_token"]), 401, "login")


async def test_the_authorization_page_refuses_without_redirecting_to_strangers(api: Api, core: Any) -> None:
    await build_world(api)
    app = await register(api.client)
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(app, READ_ALL, verifier, "http://testserver")
    r = await api.client.get("/fhir/R4/auth/authorize", params={**params, "redirect_uri": "https://evil.example/cb"})
    assert r.status_code == 400 and "location" not in r.headers and "not one registered" in r.text
    r = await api.client.get("/fhir/R4/auth/authorize", params={**params, "client_id": "smart-nobody"})
    assert r.status_code == 400 and "location" not in r.headers
    no_pkce = {k: v for k, v in params.items() if not k.startswith("code_challenge")}
    answer = redirected(await api.client.get("/fhir/R4/auth/authorize", params=no_pkce))
    assert answer["error"] == "invalid_request" and answer["state"] == "st-1"
    answer = redirected(await api.client.get("/fhir/R4/auth/authorize", params={**params, "scope": "openid"}))
    assert answer["error"] == "invalid_scope"
    answer = redirected(await sign_in(api.client, params, "physician1", decision="deny"))
    assert answer == {"error": "access_denied", "error_description": "the user declined", "state": "st-1"}
    wrong = await sign_in(api.client, params, "physician1", password="Wrong-password-1")
    assert wrong.status_code == 400 and "Invalid username/password." in wrong.text
    csp = wrong.headers["content-security-policy"]
    assert "form-action 'self' https://app.example" in csp and "script-src 'none'" in csp
    assert len(await events(core, "smart_refused")) == 5
    assert [e["eventType"] for e in await events(core, "login_failed")] == ["login_failed"]


async def _second_patient(w: World) -> str:
    return await w.make("Patient", {**w.body("Patient", "admin"), "mrn": "MRN-other",
                                    "primaryClinician": w.user("physician")})


async def test_patient_scope_narrows_a_clinician_to_the_launch_patient(api: Api, core: Any) -> None:
    w = await build_world(api)
    pid, other = w.ids["Patient"], await _second_patient(w)
    await w.make("Encounter", {**w.body("Encounter", "physician"), "patient": {"__type": "Pointer",
                                                                                "className": "Patient",
                                                                                "objectId": other}})
    app = await register(api.client)
    wide = (await launch(api.client, app, "physician1", READ_ALL))["access_token"]
    assert (await get(api, f"/Patient/{other}", wide)).status_code == 200  # the user may read both
    narrow = await launch(api.client, app, "physician1", PATIENT, patient=pid)
    assert narrow["patient"] == pid
    async with core.db.read() as conn:  # the consent is on the launch patient's chart in the ledger
        found = await conn.fetch('SELECT "patient", "patientClass" FROM "_Audit" WHERE "eventType" = '
                                 + ("$1" if core.db.dialect.name == "postgresql" else "?"), ["smart_grant"])
    assert [tuple(r) for r in found][-1] == (pid, "Patient")
    at = narrow["access_token"]
    assert (await get(api, f"/Patient/{pid}", at)).status_code == 200
    issue(await get(api, f"/Patient/{other}", at), 404, "not-found")
    assert ids((await get(api, "/Patient", at)).json()) == [pid]
    encounters = (await get(api, "/Encounter", at)).json()
    assert ids(encounters) == [w.ids["Encounter"]]
    assert ids((await get(api, f"/Encounter?patient=Patient/{other}", at)).json()) == []
    other_encounter = [i for i in ids((await get(api, "/Encounter", wide)).json()) if i != w.ids["Encounter"]][0]
    issue(await get(api, f"/Encounter/{other_encounter}", at), 404, "not-found")
    issue(await get(api, f"/Patient/{other}/$everything", at), 404, "not-found")
    assert (await get(api, f"/Patient/{pid}/$everything", at)).status_code == 200
    issue(await get(api, "/Practitioner", at), 403, "forbidden", "outside the launch patient")
    issue(await get(api, "/Encounter?_include=Encounter:patient", at), 403, "forbidden")
    posted = await api.client.post("/fhir/R4/Encounter/_search", content="_revinclude=Provenance:target", headers={
        "Authorization": f"Bearer {at}", "Content-Type": "application/x-www-form-urlencoded"})
    issue(posted, 403, "forbidden", "_include and _revinclude")
    posted = await api.client.post("/fhir/R4/Patient/_search", content=f"_id={other}", headers={
        "Authorization": f"Bearer {at}", "Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 200 and ids(posted.json()) == []


async def test_scopes_never_widen_what_the_user_may_read(api: Api, core: Any) -> None:
    w = await build_world(api)
    app = await register(api.client)
    outsider = (await launch(api.client, app, "outsider1", READ_ALL))["access_token"]
    issue(await get(api, f"/Patient/{w.ids['Patient']}", outsider), 404, "not-found")
    assert ids((await get(api, "/Encounter", outsider)).json()) == []
    page = await sign_in(api.client, authorize_params(app, PATIENT, "v" * 43, "http://testserver"), "outsider1",
                         patient=w.ids["Patient"])
    assert page.status_code == 400 and "No patient with that id that you may read." in page.text
    refusal = (await events(core, "smart_refused"))[-1]
    assert refusal["actor"] == w.users["outsider"]["objectId"] and "launch patient" in refusal["details"]
    mine = await launch(api.client, app, "patient1", PATIENT)
    assert mine["patient"] == f"bh-{w.ids['PatientProfile']}"
    issue(await get(api, f"/Patient/{w.ids['Patient']}", mine["access_token"]), 404, "not-found")
    assert ids((await get(api, "/Patient", mine["access_token"])).json()) == [mine["patient"]]


async def test_an_expired_access_token_reads_nothing(api: Api, core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    w = await build_world(api)
    app = await register(api.client)
    monkeypatch.setattr(smart_tokens, "ACCESS_SECONDS", -1)
    answer = await launch(api.client, app, "physician1", READ_ALL)
    issue(await get(api, f"/Patient/{w.ids['Patient']}", answer["access_token"]), 401, "login", "expired")
    issue(await get(api, f"/Encounter?patient={w.ids['Patient']}", answer["access_token"]), 401, "login")
    failed = [e for e in await audit_entries(core) if e["eventType"] == "auth_failed"]
    assert len(failed) == 2 and all(e["outcome"] == "failure" for e in failed)
    preflight = await api.client.options("/fhir/R4/auth/token", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"


async def test_an_account_with_mfa_signs_in_with_its_one_time_code(api: Api, core: Any) -> None:
    w = await build_world(api)
    r = await api.put(f"/users/{w.users['physician']['objectId']}",
                      {"authData": {"mfa": {"secret": SECRET, "token": totp()}}}, session=w.token("physician"))
    assert r.status_code == 200, r.text
    app = await register(api.client)
    params = authorize_params(app, READ_ALL, "v" * 43, "http://testserver")
    missing = await sign_in(api.client, params, "physician1")
    assert missing.status_code == 400 and "Missing additional authData mfa" in missing.text
    page = await api.client.get("/fhir/R4/auth/authorize", params=params)
    form = {**params, "username": "physician1", "password": "Long-enough-pw-1", "mfa": totp(steps_ahead=1),
            "decision": "approve"}
    answer = redirected(await api.client.post("/fhir/R4/auth/authorize", content=urlencode(form), headers=FORM))
    assert page.status_code == 200 and answer["code"] and answer["state"] == "st-1"
    logins = [e["eventType"] for e in await audit_entries(core) if e["eventType"].startswith("login")]
    assert logins[-2:] == ["login_failed", "login"]


async def test_a_password_change_revokes_the_users_smart_tokens(api: Api, core: Any) -> None:
    w = await build_world(api)
    app = await register(api.client)
    answer = await launch(api.client, app, "physician1", READ_ALL)
    assert (await get(api, f"/Patient/{w.ids['Patient']}", answer["access_token"])).status_code == 200
    r = await api.put(f"/users/{w.users['physician']['objectId']}", {"password": "Another-long-pw-2"},
                      session=w.token("physician"))
    assert r.status_code == 200, r.text
    issue(await get(api, f"/Patient/{w.ids['Patient']}", answer["access_token"]), 401, "login", "revoked")
    again = await token(api.client, app, grant_type="refresh_token", refresh_token=answer["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
