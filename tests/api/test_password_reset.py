"""Password reset: the request, the mailed single-use link, the pages route that sets the password."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.api.accounts import count, link_in, link_params, outbox
from tests.conftest import APP_ID, Api, row_count

RESET_PATH = f"/parse/apps/{APP_ID}/request_password_reset"
XHR = {"X-Requested-With": "XMLHttpRequest"}
INVALID = {"code": -1, "error": "Failed to reset password: username / email / token is invalid"}


async def _requested(api: Api, core, username: str = "alice") -> tuple[dict, dict[str, str]]:
    user = await api.signup(username, password="first-pass", email=f"{username}@example.org")
    r = await api.post("/requestPasswordReset", {"email": f"{username.upper()}@example.org"})
    assert (r.status_code, r.json()) == (200, {})
    mail = (await outbox(core))[-1]
    return user, link_params(link_in(mail))


async def _reset(api: Api, params: dict, headers: dict | None = None, form: bool = False):  # type: ignore[no-untyped-def]
    if form:
        return await api.client.post(RESET_PATH, data=params, headers=headers or {})
    return await api.client.post(RESET_PATH, json=params, headers={**XHR, **(headers or {})})


async def test_request_mails_a_link_and_the_link_sets_the_password(api: Api, core) -> None:
    core.settings.public_url = "https://ehr.example.org/parse"
    user, params = await _requested(api, core)
    mail = (await outbox(core))[-1]
    assert mail["to"] == "alice@example.org" and mail["subject"] == "Password Reset for Chartkeep"
    assert "(your username is 'alice')" in mail["text"]
    link = link_in(mail)
    assert link.startswith(f"https://ehr.example.org/parse/apps/{APP_ID}/request_password_reset?token=")
    assert params["username"] == "alice"
    async with core.db.read() as conn:  # only a digest is stored
        assert await conn.fetchval('SELECT COUNT(*) FROM "_AccountToken" WHERE "digest" = $1'
                                   if core.db.dialect.name == "postgresql" else
                                   'SELECT COUNT(*) FROM "_AccountToken" WHERE "digest" = ?', [params["token"]]) == 0
    page = await api.client.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert page.status_code == 200 and 'name="new_password"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    preflight = await api.client.options(RESET_PATH, headers={"Origin": "https://app.example"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    r = await _reset(api, {**params, "new_password": "second-pass"})
    assert (r.status_code, r.json()) == (200, "Password successfully reset")
    assert r.headers["access-control-allow-origin"] == "*"
    r = await api.get("/users/me", session=user["sessionToken"])
    assert r.json() == {"code": 209, "error": "Invalid session token"}  # every session ended
    assert await row_count(core, "_Session") == 0
    assert (await api.post("/login", {"username": "alice", "password": "first-pass"})).status_code == 404
    assert (await api.post("/login", {"username": "alice", "password": "second-pass"})).status_code == 200
    r = await _reset(api, {**params, "new_password": "third-pass!"})
    assert (r.status_code, r.json()) == (400, INVALID)  # single use
    assert (await api.client.get(RESET_PATH, params=params)).status_code == 400


async def test_form_post_from_a_browser(api: Api, core) -> None:
    _, params = await _requested(api, core)
    r = await _reset(api, {**params, "new_password": "short"}, form=True)
    assert r.status_code == 400 and "Password does not meet the Password Policy requirements: at least 8" in r.text
    r = await _reset(api, {**params, "new_password": "second-pass"}, form=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Your password has been reset" in r.text
    r = await _reset(api, {**params, "new_password": "third-pass!"}, form=True)
    assert r.status_code == 400 and "Failed to reset password" in r.text


async def test_reset_refusals_change_nothing(api: Api, core) -> None:
    _, params = await _requested(api, core)
    cases = [
        ({"token": params["token"], "new_password": "second-pass"}, {"code": 200, "error": "Missing username"}),
        ({"username": "alice", "new_password": "second-pass"}, {"code": -1, "error": "Missing token"}),
        ({**params}, {"code": 201, "error": "Missing password"}),
        ({**params, "username": "bob", "new_password": "second-pass"}, INVALID),
        ({**params, "token": "forged", "new_password": "second-pass"}, INVALID),
        ({**params, "new_password": "short"},
         {"code": -1, "error": "Password does not meet the Password Policy requirements: at least 8 characters."}),
        ({**params, "new_password": "xx-alice-xx"}, {"code": -1, "error": "Password cannot contain your username."}),
    ]
    for body, expected in cases:
        r = await _reset(api, body)
        assert (r.status_code, r.json()) == (400, expected), body
    assert (await api.post("/login", {"username": "alice", "password": "first-pass"})).status_code == 200
    r = await _reset(api, {**params, "new_password": "second-pass"})  # the link survived the refusals
    assert r.status_code == 200
    r = await api.client.post("/parse/apps/other-app/request_password_reset", json={**params}, headers=XHR)
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


async def test_expired_link(api: Api, core) -> None:
    _, params = await _requested(api, core)
    async with core.db.transaction() as tx:
        await tx.execute('UPDATE "_AccountToken" SET "expiresAt" = 1')
    r = await _reset(api, {**params, "new_password": "second-pass"})
    assert (r.status_code, r.json()) == (400, {"code": -1, "error": "The password reset link has expired"})


async def test_a_new_link_or_a_password_change_voids_the_old_link(api: Api, core) -> None:
    user, first = await _requested(api, core)
    await api.post("/requestPasswordReset", {"email": "alice@example.org"})
    second = link_params(link_in((await outbox(core))[-1]))
    assert (await _reset(api, {**first, "new_password": "second-pass"})).json() == INVALID
    r = await api.put(f"/users/{user['objectId']}", {"password": "changed-pass"}, session=user["sessionToken"])
    assert r.status_code == 200
    assert (await _reset(api, {**second, "new_password": "second-pass"})).json() == INVALID
    assert await count(core, "_AccountToken") == 0


async def test_request_errors_and_unknown_emails(api: Api, core) -> None:
    for body, expected in [({}, {"code": 204, "error": "you must provide an email"}),
                           ({"email": 5}, {"code": 125, "error": "you must provide a valid email string"})]:
        r = await api.post("/requestPasswordReset", body)
        assert (r.status_code, r.json()) == (400, expected)
    r = await api.post("/requestPasswordReset", {"email": "nobody@example.org"})
    assert (r.status_code, r.json()) == (200, {})  # Parse's resetPasswordSuccessOnInvalidEmail default
    core.settings.reset_password_success_on_invalid_email = False
    r = await api.post("/requestPasswordReset", {"email": "nobody@example.org"})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "A user with that email does not exist."})
    assert await outbox(core) == [] and await count(core, "_AccountToken") == 0


async def test_user_without_email_resets_by_username_and_default_link_base(api: Api, core) -> None:
    await api.signup("bob", password="first-pass")
    assert (await api.post("/requestPasswordReset", {"email": "bob"})).json() == {}
    mail = (await outbox(core))[-1]
    assert mail["to"] == "bob"
    assert link_in(mail).startswith(f"http://127.0.0.1:1337/parse/apps/{APP_ID}/request_password_reset?")


async def test_reset_lifts_a_lockout_only_when_configured(api: Api, core) -> None:
    for unlock in (False, True):
        core.settings.account_lockout_unlock_on_password_reset = unlock
        name = f"u{int(unlock)}"
        _, params = await _requested(api, core, name)
        for _ in range(5):
            await api.post("/login", {"username": name, "password": "wrong-pass"})
        assert (await _reset(api, {**params, "new_password": "second-pass"})).status_code == 200
        r = await api.post("/login", {"username": name, "password": "second-pass"})
        assert r.status_code == (200 if unlock else 404)
