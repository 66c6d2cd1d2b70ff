"""Password policy at sign-up, password change and (in test_password_reset.py) reset: Parse's 142s."""

from __future__ import annotations

from tests.conftest import Api, row_count

POLICY = {"code": 142, "error": "Password does not meet the Password Policy requirements: at least 8 characters."}
BREACHED = {"code": 142, "error": "Password does not meet the Password Policy requirements: it is one of the most "
                                 "common passwords found in data breaches."}
GUESSABLE = {"code": 142, "error": "Password does not meet the Password Policy requirements: it is too easy to guess "
                                  "(a repeat, a sequence, a keyboard pattern or a common word)."}
HAS_USERNAME = {"code": 142, "error": "Password cannot contain your username."}


async def test_signup_refuses_short_passwords_and_saves_nothing(api: Api, core) -> None:
    for password in ("x", "1234567"):
        r = await api.post("/users", {"username": "alice", "password": password, "role": "patient"})
        assert (r.status_code, r.json()) == (400, POLICY)
    assert await row_count(core, "_User") == 0 and await row_count(core, "_Session") == 0
    r = await api.post("/users", {"username": "alice", "password": "k7#Vq2!m", "role": "patient"})
    assert r.status_code == 201  # the default minimum is 8 characters, inclusive


async def test_breached_and_guessable_passwords_are_refused_naming_the_rule(api: Api, core) -> None:
    for password, expected in (("password", BREACHED), ("12345678", BREACHED), ("PassWord1", BREACHED),
                               ("qwertyuiop", BREACHED), ("aaaaaaaa", GUESSABLE), ("abcdefghij", GUESSABLE),
                               ("zzzzzzzzzzzz", GUESSABLE)):
        r = await api.post("/users", {"username": "alice", "password": password, "role": "patient"})
        assert (r.status_code, r.json()) == (400, expected), password
    assert await row_count(core, "_User") == 0
    user = await api.signup("alice", password="Long-enough-pw-1")
    r = await api.put(f"/users/{user['objectId']}", {"password": "letmein1"}, session=user["sessionToken"])
    assert (r.status_code, r.json()) == (400, BREACHED)
    r = await api.post("/users", {"username": "erin", "password": "iloveyou", "role": "physician"}, master=True)
    assert r.json() == BREACHED  # the master key is held to it too
    core.settings.password_refuse_common = False
    core.settings.password_min_score = 0
    assert (await api.post("/users", {"username": "bob", "password": "password", "role": "patient"})).status_code == 201


async def test_signup_refuses_the_username_inside_the_password_in_any_case(api: Api, core) -> None:
    for password in ("bobby-pass", "my-BOBBY-99", "Bobby"):
        r = await api.post("/users", {"username": "Bobby", "password": password, "role": "patient"})
        expected = POLICY if len(password) < 8 else HAS_USERNAME
        assert (r.status_code, r.json()) == (400, expected), password
    assert await row_count(core, "_User") == 0


async def test_policy_comes_before_uniqueness_and_email_checks(api: Api) -> None:
    await api.signup("carol")
    r = await api.post("/users", {"username": "carol", "password": "short", "role": "patient", "email": "bad"})
    assert r.json() == POLICY  # Parse validates the password before username and email


async def test_password_change_is_checked_and_refusal_changes_nothing(api: Api, core) -> None:
    a = await api.signup("dave", password="first-pass")
    path, token = f"/users/{a['objectId']}", a["sessionToken"]
    cases = [({"password": "short"}, POLICY), ({"password": "xx-dave-xx"}, HAS_USERNAME),
             ({"password": "pw-new-name-1", "username": "new-name"}, HAS_USERNAME)]
    for body, expected in cases:
        r = await api.put(path, body, session=token)
        assert (r.status_code, r.json()) == (400, expected), body
    assert (await api.get("/users/me", session=token)).json()["username"] == "dave"  # session kept
    assert (await api.post("/login", {"username": "dave", "password": "first-pass"})).status_code == 200
    r = await api.put(path, {"password": "second-pass", "username": "dave2"}, session=token)
    assert r.status_code == 200 and "sessionToken" in r.json()
    assert (await api.post("/login", {"username": "dave2", "password": "second-pass"})).status_code == 200
    assert await row_count(core, "_User") == 1


async def test_master_key_is_held_to_the_policy_too(api: Api) -> None:
    r = await api.post("/users", {"username": "erin", "password": "x", "role": "patient"}, master=True)
    assert (r.status_code, r.json()) == (400, POLICY)


async def test_policy_settings(api: Api, core) -> None:
    core.settings.password_min_length = 12
    core.settings.password_disallow_username = False
    r = await api.post("/users", {"username": "fay", "password": "fay-pass-123", "role": "patient"})
    assert r.status_code == 201
    r = await api.post("/users", {"username": "gus", "password": "gus-pass-12", "role": "patient"})
    assert r.json() == {**POLICY, "error": POLICY["error"].replace("8", "12")}


async def test_an_admin_changing_a_password_gets_no_session_of_that_user(api: Api, core) -> None:
    r = await api.post("/users", {"username": "boss", "password": "pw-123456", "role": "admin"}, master=True)
    admin = r.json()
    nurse = await api.signup("nurse1")
    r = await api.put(f"/users/{nurse['objectId']}", {"password": "short"}, session=admin["sessionToken"])
    assert (r.status_code, r.json()) == (400, POLICY)
    r = await api.put(f"/users/{nurse['objectId']}", {"password": "new-pass-99"}, session=admin["sessionToken"])
    assert r.status_code == 200 and "sessionToken" not in r.json()
    assert await row_count(core, "_Session") == 1  # the admin's; the nurse's sessions ended
    assert (await api.post("/login", {"username": "nurse1", "password": "new-pass-99"})).status_code == 200
