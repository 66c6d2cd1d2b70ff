"""TOTP MFA as Parse's ``mfa`` auth adapter: enrol, log in with a code, recovery codes, no leaks."""

from __future__ import annotations

import re

import orjson
import pyotp

from tests.api.accounts import SECRET, count, totp
from tests.conftest import APP_ID, Api, row_count

ENABLED = {"mfa": {"status": "enabled"}}
MISSING = (400, {"code": -1, "error": "Missing additional authData mfa"})
BAD_TOKEN = (400, {"code": 141, "error": "Invalid MFA token"})
BAD_DATA = (400, {"code": 141, "error": "Invalid MFA data"})


async def _enrolled(api: Api, username: str = "doc") -> tuple[dict, list[str]]:
    user = await api.signup(username, password="right-pass")
    r = await api.put(f"/users/{user['objectId']}", {"authData": {"mfa": {"secret": SECRET, "token": totp()}}},
                      session=user["sessionToken"])
    assert r.status_code == 200, r.text
    recovery = r.json()["authDataResponse"]["mfa"]["recovery"]
    return user, recovery.split(", ")


async def _login(api: Api, **auth: object) -> tuple[int, dict]:
    body: dict = {"username": "doc", "password": "right-pass"}
    if auth:
        body["authData"] = {"mfa": auth}
    r = await api.post("/login", body)
    return r.status_code, r.json()


async def test_enrol_answers_recovery_codes_and_never_shows_the_secret(api: Api, core) -> None:
    user, codes = await _enrolled(api)
    assert len(codes) == 2 and all(re.fullmatch(r"[A-Za-z0-9]{30}", c) for c in codes)
    me = (await api.get("/users/me", session=user["sessionToken"])).json()
    assert me["authData"] == ENABLED
    as_master = (await api.get(f"/users/{user['objectId']}", master=True)).json()
    assert as_master["authData"] == ENABLED
    where = orjson.dumps({"authData.mfa.secret": SECRET}).decode()
    assert (await api.get("/users", params={"where": where}, master=True)).json() == {"results": []}
    async with core.db.read() as conn:
        stored = await conn.fetchval('SELECT "authData" FROM "_User"')
        recovery = await conn.fetchval('SELECT "recovery" FROM "_MFA"')
    assert SECRET not in str(stored) and not any(c in recovery for c in codes)  # codes kept as digests
    assert (await api.get("/classes/_MFA", master=True)).json() == {"results": []}


async def test_enrol_refusals_store_nothing(api: Api, core) -> None:
    user = await api.signup("doc", password="right-pass")
    path, token = f"/users/{user['objectId']}", user["sessionToken"]
    cases = [({"secret": SECRET, "token": "000000" if totp() != "000000" else "111111"}, BAD_TOKEN),
             ({"secret": SECRET}, BAD_DATA), ({"secret": "TOOSHORT", "token": "123456"}, BAD_DATA),
             ({"secret": "not base32 at all!!!!!", "token": "123456"}, BAD_DATA), ("yes", BAD_DATA)]
    for mfa, expected in cases:
        r = await api.put(path, {"authData": {"mfa": mfa}}, session=token)
        assert (r.status_code, r.json()) == expected, mfa
    r = await api.put(path, {"authData": {"facebook": {"id": "1"}}}, session=token)
    assert r.json() == {"code": 252, "error": "This authentication method is unsupported."}
    assert await count(core, "_MFA") == 0
    assert "authData" not in (await api.get("/users/me", session=token)).json()
    other = await api.signup("nurse")
    r = await api.put(path, {"authData": {"mfa": {"secret": SECRET, "token": totp()}}}, session=other["sessionToken"])
    assert r.status_code == 400 and await count(core, "_MFA") == 0


async def test_login_needs_the_second_factor(api: Api, core) -> None:
    await _enrolled(api)
    sessions = await row_count(core, "_Session")
    assert await _login(api) == MISSING
    assert await _login(api, token="abcd") == BAD_TOKEN
    assert await _login(api, token=123456) == BAD_TOKEN
    assert await row_count(core, "_Session") == sessions
    status, body = await _login(api, token=totp())
    assert status == 200
    assert sorted(body) == sorted(["objectId", "username", "createdAt", "updatedAt", "authData", "ACL",
                                   "sessionToken", "authDataResponse", "role"])
    assert body["authData"] == ENABLED and body["authDataResponse"] == {}
    r = await api.post("/login", {"username": "doc", "password": "wrong-pass", "authData": {"mfa": {"token": totp()}}})
    assert r.json()["error"] == "Invalid username/password."  # the password is checked first


async def test_a_code_works_once_and_the_next_step_still_works(api: Api) -> None:
    await _enrolled(api)
    code = totp()
    assert (await _login(api, token=code))[0] == 200
    assert await _login(api, token=code) == BAD_TOKEN  # replayed
    assert (await _login(api, token=totp(steps_ahead=1)))[0] == 200


async def test_recovery_codes_work_once_each(api: Api) -> None:
    _, codes = await _enrolled(api)
    for code in codes:
        assert (await _login(api, token=code))[0] == 200
        assert await _login(api, token=code) == BAD_TOKEN


async def test_js_sdk_login_with_additional_auth(api: Api) -> None:
    """Parse.User.logInWithAdditionalAuth sends GET /login as a text/plain POST with authData."""
    await _enrolled(api)
    body = {"_method": "GET", "_ApplicationId": APP_ID, "username": "doc", "password": "right-pass",
            "authData": {"mfa": {"token": totp()}}}
    r = await api.client.post("/parse/login", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["authData"] == ENABLED


async def test_reenrol_needs_a_current_code_and_null_turns_mfa_off(api: Api, core) -> None:
    user, codes = await _enrolled(api)
    path, token = f"/users/{user['objectId']}", user["sessionToken"]
    new_secret = pyotp.random_base32(32)
    r = await api.put(path, {"authData": {"mfa": {"secret": new_secret, "token": totp(new_secret), "old": "123"}}},
                      session=token)
    assert (r.status_code, r.json()) == BAD_TOKEN
    r = await api.put(path, {"authData": {"mfa": {"secret": new_secret, "token": totp(new_secret)}}}, session=token)
    assert (r.status_code, r.json()) == BAD_TOKEN  # no old code at all
    r = await api.put(path, {"authData": ENABLED}, session=token)  # what reads show, sent back: no change
    assert r.status_code == 200 and await count(core, "_MFA") == 1
    r = await api.put(path, {"authData": {"mfa": {"secret": new_secret, "token": totp(new_secret), "old": codes[0]}}},
                      session=token)
    assert r.status_code == 200 and "recovery" in r.json()["authDataResponse"]["mfa"]
    assert await _login(api, token=totp(steps_ahead=1)) == BAD_TOKEN  # the old secret is gone
    assert (await _login(api, token=totp(new_secret)))[0] == 200
    r = await api.put(path, {"authData": {"mfa": None}}, session=token)
    assert r.status_code == 200 and await count(core, "_MFA") == 0
    status, body = await _login(api)
    assert status == 200 and "authData" not in body


async def test_wrong_codes_count_toward_lockout(api: Api) -> None:
    await _enrolled(api)
    for _ in range(5):
        assert await _login(api, token="000000x") == BAD_TOKEN
    status, body = await _login(api, token=totp())
    assert status == 404 and body["error"].startswith("Your account is locked")


async def test_deleting_the_user_deletes_the_secret(api: Api, core) -> None:
    user, _ = await _enrolled(api)
    assert (await api.delete(f"/users/{user['objectId']}", session=user["sessionToken"])).status_code == 200
    assert await count(core, "_MFA") == 0


async def test_odd_input_gets_parse_errors_never_a_500(api: Api, core) -> None:
    user, _ = await _enrolled(api)
    path, token = f"/users/{user['objectId']}", user["sessionToken"]
    for auth in ("x", [], {"mfa": []}, {"mfa": {"secret": 5, "token": 5}}, {"mfa": {"secret": SECRET * 100, "token": "é"}},
                 {"mfa": {"secret": SECRET, "token": totp(), "old": ["x"]}}, {"mfa": {"old": "ü"}}):
        r = await api.put(path, {"authData": auth}, session=token)
        assert r.status_code == 400 and r.json()["code"] in (-1, 141), auth
    for auth in ("x", [], {"mfa": "x"}, {"mfa": {"token": "ü12345"}}, {"mfa": {"token": None}}, {"other": {"id": 1}}):
        r = await api.post("/login", {"username": "doc", "password": "right-pass", "authData": auth})
        assert r.status_code == 400 and r.json()["code"] in (-1, 141, 252), auth
    for body in ({"username": ["doc"], "password": "x"}, {"email": {"a": 1}, "password": "x"},
                 {"username": "doc", "password": {"x": 1}}):
        r = await api.post("/login", body)
        assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Invalid username/password."}), body
    r = await api.post("/users", {"username": "x1", "password": "pw-123456", "role": "patient", "authData": "x"})
    assert r.status_code == 400 and await row_count(core, "_User") == 1


async def test_signup_can_enrol_at_once(api: Api, core) -> None:
    r = await api.post("/users", {"username": "doc", "password": "right-pass", "role": "patient",
                                  "authData": {"mfa": {"secret": SECRET, "token": totp()}}})
    assert r.status_code == 201 and "sessionToken" in r.json()
    assert len(r.json()["authDataResponse"]["mfa"]["recovery"].split(", ")) == 2
    assert await _login(api) == MISSING
    r = await api.post("/users", {"username": "doc2", "password": "right-pass", "role": "patient",
                                  "authData": {"mfa": {"secret": SECRET, "token": "000000x"}}})
    assert (r.status_code, r.json()) == BAD_TOKEN
    assert await row_count(core, "_User") == 1 and await count(core, "_MFA") == 1
