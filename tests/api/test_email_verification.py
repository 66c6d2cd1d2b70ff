"""Email verification: the link mailed at sign-up, /verificationEmailRequest, verify_email, and the
``prevent_login_with_unverified_email`` gate (Parse's 205)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.api.accounts import count, link_in, link_params, outbox
from tests.conftest import APP_ID, Api, row_count

VERIFY_PATH = f"/parse/apps/{APP_ID}/verify_email"
NOT_VERIFIED = (400, {"code": 205, "error": "User email is not verified."})


async def _verify(api: Api, link: str, **headers: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(link)
    return await api.client.get(f"{parts.path}?{parts.query}", headers=headers)


async def test_signup_mails_a_link_that_verifies_once(api: Api, core) -> None:
    core.settings.verify_user_emails = True
    user = await api.signup("alice", email="alice@example.org")
    me = (await api.get("/users/me", session=user["sessionToken"])).json()
    assert me["emailVerified"] is False
    [mail] = await outbox(core)
    assert (mail["to"], mail["subject"]) == ("alice@example.org", "Please verify your e-mail for Chartkeep")
    assert "confirm the e-mail address alice@example.org with Chartkeep" in mail["text"]
    link = link_in(mail)
    assert link.startswith(f"http://127.0.0.1:1337{VERIFY_PATH}?token=")
    assert link_params(link)["username"] == "alice"
    r = await _verify(api, link)
    assert r.status_code == 200 and "verified" in r.text
    assert (await api.get("/users/me", session=user["sessionToken"])).json()["emailVerified"] is True
    assert (await _verify(api, link)).status_code == 400  # single use
    r = await _verify(api, link, Accept="application/json")
    assert (r.status_code, r.json()) == (400, {"code": -1, "error": "Invalid verification link."})


async def test_json_client_and_wrong_username(api: Api, core) -> None:
    core.settings.verify_user_emails = True
    await api.signup("bob", email="bob@example.org")
    link = link_in((await outbox(core))[0])
    assert (await _verify(api, link.replace("username=bob", "username=eve"))).status_code == 400
    r = await _verify(api, link, **{"X-Requested-With": "XMLHttpRequest"})
    assert (r.status_code, r.json()) == (200, {})
    r = await api.client.get(f"/parse/apps/other/verify_email?{urlsplit(link).query}")
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


async def test_nothing_is_mailed_while_verification_is_off(api: Api, core) -> None:
    user = await api.signup("carol", email="carol@example.org")
    assert "emailVerified" not in (await api.get("/users/me", session=user["sessionToken"])).json()
    assert (await api.post("/verificationEmailRequest", {"email": "carol@example.org"})).json() == {}
    assert await outbox(core) == []


async def test_clients_cannot_set_email_verified(api: Api, core) -> None:
    forbidden = (400, {"code": 119, "error": "Clients aren't allowed to manually update email verification."})
    r = await api.post("/users", {"username": "dave", "password": "pw-123456", "role": "patient",
                                  "emailVerified": True})
    assert (r.status_code, r.json()) == forbidden
    assert await row_count(core, "_User") == 0
    user = await api.signup("dave", email="dave@example.org")
    r = await api.put(f"/users/{user['objectId']}", {"emailVerified": True}, session=user["sessionToken"])
    assert (r.status_code, r.json()) == forbidden
    r = await api.put(f"/users/{user['objectId']}", {"emailVerified": True}, master=True)
    assert r.status_code == 200
    assert (await api.get("/users/me", session=user["sessionToken"])).json()["emailVerified"] is True


async def test_prevent_login_until_verified(api: Api, core) -> None:
    core.settings.verify_user_emails = core.settings.prevent_login_with_unverified_email = True
    r = await api.post("/users", {"username": "erin", "password": "pw-123456", "role": "patient",
                                  "email": "erin@example.org"})
    assert r.status_code == 201 and "sessionToken" not in r.json()  # as Parse: no session yet
    assert await row_count(core, "_Session") == 0
    r = await api.post("/login", {"username": "erin", "password": "pw-123456"})
    assert (r.status_code, r.json()) == NOT_VERIFIED
    r = await api.post("/login", {"username": "erin", "password": "wrong-pass"})
    assert r.json()["code"] == 101  # a wrong password still says so first
    assert (await _verify(api, link_in((await outbox(core))[0]))).status_code == 200
    r = await api.post("/login", {"username": "erin", "password": "pw-123456"})
    assert r.status_code == 200 and r.json()["emailVerified"] is True


async def test_verification_email_request(api: Api, core) -> None:
    core.settings.verify_user_emails = True
    cases = [({}, {"code": 204, "error": "you must provide an email"}),
             ({"email": ["x"]}, {"code": 125, "error": "you must provide a valid email string"}),
             ({"email": "ghost@example.org"}, {"code": 205, "error": "No user found with email ghost@example.org"})]
    for body, expected in cases:
        r = await api.post("/verificationEmailRequest", body)
        assert (r.status_code, r.json()) == (400, expected)
    await api.signup("fay", email="fay@example.org")
    first = link_in((await outbox(core))[0])
    assert (await api.post("/verificationEmailRequest", {"email": "fay@example.org"})).json() == {}
    mails = await outbox(core)
    assert len(mails) == 2
    assert (await _verify(api, first)).status_code == 400  # the new link replaced the old one
    assert (await _verify(api, link_in(mails[1]))).status_code == 200
    r = await api.post("/verificationEmailRequest", {"email": "fay@example.org"})
    assert (r.status_code, r.json()) == (400, {"code": -1, "error": "Email fay@example.org is already verified."})
    assert await count(core, "_AccountToken") == 0


async def test_changing_the_email_asks_for_verification_again(api: Api, core) -> None:
    core.settings.verify_user_emails = True
    user = await api.signup("gus", email="gus@example.org")
    await _verify(api, link_in((await outbox(core))[0]))
    r = await api.put(f"/users/{user['objectId']}", {"email": "gus@example.net"}, session=user["sessionToken"])
    assert r.status_code == 200
    me = (await api.get("/users/me", session=user["sessionToken"])).json()
    assert me["emailVerified"] is False
    mail = (await outbox(core))[-1]
    assert mail["to"] == "gus@example.net"


async def test_mail_sender_log(api: Api, core, caplog) -> None:  # type: ignore[no-untyped-def]
    core.settings.verify_user_emails = True
    core.settings.mail_sender = "log"
    with caplog.at_level("INFO", logger="chartkeep.mail"):
        await api.signup("hal", email="hal@example.org")
    assert await outbox(core) == []
    assert any("hal@example.org" in rec.getMessage() and "verify_email?token=" in rec.getMessage()
               for rec in caplog.records)


async def test_mail_sender_plugin_and_a_failing_sender(api: Api, core) -> None:
    from tests.api.accounts import SENT

    SENT.clear()
    core.settings.verify_user_emails = True
    core.settings.mail_sender = "tests.api.accounts:collecting_sender"
    await api.signup("ian", email="ian@example.org")
    assert [m.to for m in SENT] == ["ian@example.org"] and await outbox(core) == []
    await api.signup("fail", email="fail@example.org")  # a sender error is logged, the sign-up stands
    assert await row_count(core, "_User") == 2
