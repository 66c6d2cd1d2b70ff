"""Sign-up, login, sessions, /users/me, and what one user must not see or change of another."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api, row_count


async def test_signup_returns_session_and_hides_password(api: Api, core) -> None:
    r = await api.post("/users", {"username": "alice", "password": "s3cret-pass!", "role": "patient",
                                  "email": "alice@example.org"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"objectId", "createdAt", "sessionToken"}
    assert re.fullmatch(r"r:[0-9a-f]{32}", body["sessionToken"])
    assert r.headers["location"].endswith(f"/users/{body['objectId']}")
    me = (await api.get("/users/me", session=body["sessionToken"])).json()
    assert me["username"] == "alice" and me["email"] == "alice@example.org"
    assert me["sessionToken"] == body["sessionToken"]
    assert "password" not in me and "_hashed_password" not in me
    assert me["ACL"] == {body["objectId"]: {"read": True, "write": True}, "role:admin": {"read": True, "write": True}}
    async with core.db.read() as conn:
        stored = await conn.fetchval('SELECT "_hashed_password" FROM "_User"')
    assert stored.startswith("$argon2id$")


async def test_signup_errors(api: Api, core) -> None:
    cases = [
        ({"password": "x", "role": "patient"}, 200, "bad or missing username"),
        ({"username": "bob", "role": "patient"}, 201, "password is required"),
        ({"username": "bob", "password": "pw-123456", "role": "patient", "email": "not-an-email"}, 125,
         "Email address format is invalid."),
        ({"username": "bob", "password": "pw-123456"}, 142, "role is required"),
    ]
    for body, code, message in cases:
        r = await api.post("/users", body)
        assert (r.status_code, r.json()) == (400, {"code": code, "error": message}), body
    assert await row_count(core, "_User") == 0


async def test_duplicate_username_and_email(api: Api, core) -> None:
    await api.signup("carol", email="carol@example.org")
    r = await api.post("/users", {"username": "CAROL", "password": "pw-123456", "role": "patient"})
    assert r.json() == {"code": 202, "error": "Account already exists for this username."}
    r = await api.post("/users", {"username": "carol2", "password": "pw-123456", "role": "patient",
                                  "email": "Carol@example.org"})
    assert r.json() == {"code": 203, "error": "Account already exists for this email address."}
    assert await row_count(core, "_User") == 1
    assert await row_count(core, "_Session") == 1


async def test_login_get_and_post_and_logout(api: Api) -> None:
    user = await api.signup("dave", password="correct horse")
    r = await api.get("/login", params={"username": "dave", "password": "correct horse"})
    assert r.status_code == 200
    token = r.json()["sessionToken"]
    assert r.json()["objectId"] == user["objectId"] and r.json()["username"] == "dave"
    r = await api.post("/login", {"username": "dave", "password": "correct horse"})
    assert r.status_code == 200 and r.json()["sessionToken"] != token
    for params in ({"username": "dave", "password": "wrong"}, {"username": "nobody", "password": "x"}):
        r = await api.post("/login", params)
        assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Invalid username/password."})
    r = await api.post("/login", {"password": "x"})
    assert r.json() == {"code": 200, "error": "username/email is required."}
    r = await api.post("/login", {"username": "dave"})
    assert r.json() == {"code": 201, "error": "password is required."}
    assert (await api.post("/logout", {}, session=token)).json() == {}
    r = await api.get("/users/me", session=token)
    assert (r.status_code, r.json()) == (400, {"code": 209, "error": "Invalid session token"})


async def test_invalid_session_token_is_209(api: Api) -> None:
    r = await api.get("/classes/Patient", session="r:doesnotexist")
    assert (r.status_code, r.json()) == (400, {"code": 209, "error": "Invalid session token"})
    r = await api.get("/users/me")
    assert (r.status_code, r.json()) == (400, {"code": 209, "error": "Permission denied"})
    r = await api.get("/sessions/me")
    assert r.json() == {"code": 209, "error": "Session token required."}


async def test_users_cannot_modify_or_delete_each_other(api: Api) -> None:
    a = await api.signup("erin", email="erin@example.org")
    b = await api.signup("frank")
    r = await api.put(f"/users/{a['objectId']}", {"displayName": "hacked"}, session=b["sessionToken"])
    assert (r.status_code, r.json()) == (400, {"code": 206, "error": "Permission denied"})
    r = await api.delete(f"/users/{a['objectId']}", session=b["sessionToken"])
    assert r.json() == {"code": 206, "error": "Insufficient auth to delete user"}
    r = await api.get(f"/users/{a['objectId']}", session=b["sessionToken"])
    assert (r.status_code, r.json()["code"]) == (404, 101)  # users are private by default
    assert (await api.get("/users", session=b["sessionToken"])).json()["results"][0]["username"] == "frank"
    acl = {"*": {"read": True}, a["objectId"]: {"read": True, "write": True}}
    await api.put(f"/users/{a['objectId']}", {"ACL": acl}, master=True)
    seen = (await api.get(f"/users/{a['objectId']}", session=b["sessionToken"])).json()
    assert seen["username"] == "erin"
    assert "email" not in seen and "sessionToken" not in seen
    own = (await api.get(f"/users/{a['objectId']}", session=a["sessionToken"])).json()
    assert own["email"] == "erin@example.org" and own["sessionToken"] == a["sessionToken"]
    r = await api.put(f"/users/{a['objectId']}", {"displayName": "Erin E."}, session=a["sessionToken"])
    assert r.status_code == 200
    assert (await api.get("/users/me", session=a["sessionToken"])).json()["displayName"] == "Erin E."


async def test_password_change_keeps_login_working(api: Api) -> None:
    a = await api.signup("gina", password="first-pass")
    r = await api.put(f"/users/{a['objectId']}", {"password": "second-pass"}, session=a["sessionToken"])
    assert r.status_code == 200
    assert list(r.json()) == ["updatedAt", "sessionToken"]
    assert (await api.get("/users/me", session=a["sessionToken"])).json()["code"] == 209
    assert (await api.get("/users/me", session=r.json()["sessionToken"])).json()["username"] == "gina"
    assert (await api.post("/login", {"username": "gina", "password": "first-pass"})).status_code == 404
    assert (await api.post("/login", {"username": "gina", "password": "second-pass"})).status_code == 200


async def test_sessions_endpoints(api: Api) -> None:
    a = await api.signup("hank", password="pw-123456")
    login = (await api.post("/login", {"username": "hank", "password": "pw-123456"})).json()
    b = await api.signup("ivy")
    mine = (await api.get("/sessions", session=a["sessionToken"])).json()["results"]
    assert len(mine) == 2
    assert all(s["user"]["objectId"] == a["objectId"] for s in mine)
    current = (await api.get("/sessions/me", session=a["sessionToken"])).json()
    assert current["sessionToken"] == a["sessionToken"]
    assert current["createdWith"] == {"action": "signup", "authProvider": "password"}
    other = next(s for s in mine if s["objectId"] != current["objectId"])
    assert "sessionToken" not in other
    r = await api.delete(f"/sessions/{other['objectId']}", session=b["sessionToken"])
    assert r.status_code == 404
    r = await api.delete(f"/sessions/{other['objectId']}", session=a["sessionToken"])
    assert r.status_code == 200
    r = await api.get("/users/me", session=login["sessionToken"])
    assert r.json()["code"] == 209


async def test_acl_hides_objects_from_other_users(api: Api) -> None:
    a, b = await api.signup("jack"), await api.signup("kate")
    body = {"mrn": "M-9", "fullName": "Private", "status": "active",
            "dateOfBirth": {"__type": "Date", "iso": "1990-01-01T00:00:00.000Z"},
            "ACL": {a["objectId"]: {"read": True, "write": True}}}
    p = (await api.post("/classes/OpenPatient", body, session=a["sessionToken"])).json()
    path = f"/classes/OpenPatient/{p['objectId']}"
    assert (await api.get(path, session=a["sessionToken"])).status_code == 200
    for session in (b["sessionToken"], None):
        r = await api.get(path, session=session)
        assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
        found = (await api.get("/classes/OpenPatient", session=session)).json()["results"]
        assert found == []
        r = await api.put(path, {"fullName": "changed"}, session=session)
        assert r.json()["code"] == 101
        r = await api.delete(path, session=session)
        assert r.json()["code"] == 101
    got = (await api.get(path, master=True)).json()
    assert got["fullName"] == "Private"
    assert got["ACL"] == {a["objectId"]: {"read": True, "write": True}}


async def test_bcrypt_hash_from_parse_verifies_and_is_rehashed(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """A user exported from Parse Server/Back4app keeps their password; the first login moves the
    hash to argon2id."""
    import bcrypt

    user = await api.signup("imported")
    stored = bcrypt.hashpw(b"Parse-exported-1", bcrypt.gensalt(rounds=10)).decode()
    async with core.db.transaction() as tx:
        p = tx.dialect.placeholder
        await tx.execute(f'UPDATE "_User" SET "_hashed_password" = {p(1)} WHERE "objectId" = {p(2)}',
                         [stored, user["objectId"]])
    bad = await api.post("/login", {"username": "imported", "password": "wrong-password-1"})
    assert (bad.status_code, bad.json()["code"]) == (404, 101)
    r = await api.post("/login", {"username": "imported", "password": "Parse-exported-1"})
    assert r.status_code == 200, r.text
    async with core.db.read() as conn:
        rehashed = await conn.fetchval(
            f'SELECT "_hashed_password" FROM "_User" WHERE "objectId" = {conn.dialect.placeholder(1)}',
            [user["objectId"]])
    assert rehashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    async with core.db.read() as conn:  # the upgrade is the ledger's: by the user, naming no hash
        entry = await conn.fetchrow(
            'SELECT "eventType", "actor", "details", "metadata" FROM "_Audit" WHERE "targetId" = '
            f'{conn.dialect.placeholder(1)} AND "eventType" = \'update\' ORDER BY "seq" DESC LIMIT 1',
            [user["objectId"]])
    assert (entry["actor"], entry["details"]) == (user["objectId"], "password hash upgraded to argon2id at login")
    assert rehashed not in str(entry["metadata"]) and stored not in str(entry["metadata"])
    assert (await api.post("/login", {"username": "imported", "password": "Parse-exported-1"})).status_code == 200


@pytest.mark.parametrize("how", ["logout", "delete_session", "master_delete", "password_change"])
async def test_a_revoked_session_fails_on_the_next_request(api: Api, how: str) -> None:
    """Sessions are cached in memory; every way of ending one takes effect at once."""
    user = await api.signup("quinn", password="Revoke-me-123")
    token = user["sessionToken"]
    other = (await api.post("/login", {"username": "quinn", "password": "Revoke-me-123"})).json()["sessionToken"]
    assert (await api.get("/users/me", session=token)).status_code == 200  # now cached
    me = (await api.get("/sessions/me", session=token)).json()
    if how == "logout":
        await api.post("/logout", {}, session=token)
    elif how == "delete_session":
        assert (await api.delete(f"/sessions/{me['objectId']}", session=other)).status_code == 200
    elif how == "master_delete":
        assert (await api.delete(f"/classes/_Session/{me['objectId']}", master=True)).status_code == 200
    else:
        assert (await api.put(f"/users/{user['objectId']}", {"password": "Brand-new-pw-456"},
                              session=other)).status_code == 200
    r = await api.get("/users/me", session=token)
    assert (r.status_code, r.json()["code"]) == (400, 209)
