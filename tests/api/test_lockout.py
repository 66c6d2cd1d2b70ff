"""Account lockout: N failed logins lock the name for M minutes, whether or not it exists."""

from __future__ import annotations

import httpx

from chartkeep.app import create_app
from tests.conftest import Api, row_count

INVALID = (404, {"code": 101, "error": "Invalid username/password."})
LOCKED = (404, {"code": 101, "error": "Your account is locked due to multiple failed login attempts. "
                                      "Please try again after 15 minute(s)"})


async def _login(api: Api, username: str, password: str) -> tuple[int, dict]:
    r = await api.post("/login", {"username": username, "password": password})
    return r.status_code, r.json()


async def test_five_failures_lock_even_the_right_password(api: Api, core) -> None:
    await api.signup("alice", password="right-pass")
    for _ in range(5):
        assert await _login(api, "alice", "wrong-pass") == INVALID
    assert await _login(api, "alice", "right-pass") == LOCKED
    assert await _login(api, "ALICE", "wrong-pass") == LOCKED  # the name is normalised
    assert await row_count(core, "_Session") == 1  # only the sign-up's


async def test_unknown_names_lock_the_same_way(api: Api) -> None:
    for _ in range(5):
        assert await _login(api, "nobody", "wrong-pass") == INVALID
    assert await _login(api, "nobody", "wrong-pass") == LOCKED


async def test_username_and_email_share_one_counter(api: Api) -> None:
    await api.signup("bob", password="right-pass", email="bob@example.org")
    for _ in range(3):
        assert await _login(api, "bob", "wrong-pass") == INVALID
    for _ in range(2):
        r = await api.post("/login", {"email": "Bob@example.org", "password": "wrong-pass"})
        assert (r.status_code, r.json()) == INVALID
    assert await _login(api, "bob", "right-pass") == LOCKED


async def test_success_resets_the_counter(api: Api) -> None:
    await api.signup("carol", password="right-pass")
    for _ in range(2):
        for _ in range(4):
            assert await _login(api, "carol", "wrong-pass") == INVALID
        assert (await _login(api, "carol", "right-pass"))[0] == 200


async def test_lock_expires_and_one_more_failure_locks_again(api: Api, core) -> None:
    await api.signup("dave", password="right-pass")
    for _ in range(5):
        await _login(api, "dave", "wrong-pass")
    async with core.db.transaction() as tx:
        await tx.execute('UPDATE "_Lockout" SET "lockedUntil" = 1')  # the lock ran out
    assert await _login(api, "dave", "wrong-pass") == INVALID  # as Parse: the counter still stands...
    assert await _login(api, "dave", "right-pass") == LOCKED  # ...so one more failure locks again
    async with core.db.transaction() as tx:
        await tx.execute('UPDATE "_Lockout" SET "lockedUntil" = 1')
    assert (await _login(api, "dave", "right-pass"))[0] == 200
    async with core.db.read() as conn:  # a success forgets the account's failures; the address's stay counted
        assert [r[0] for r in await conn.fetch('SELECT "key" FROM "_Lockout"')] == ["ip:127.0.0.1"]


async def test_settings_threshold_duration_and_off(api: Api, core) -> None:
    await api.signup("erin", password="right-pass")
    core.settings.account_lockout_threshold, core.settings.account_lockout_duration = 2, 1
    for _ in range(2):
        assert await _login(api, "erin", "wrong-pass") == INVALID
    status, body = await _login(api, "erin", "right-pass")
    assert (status, body["error"]) == (404, "Your account is locked due to multiple failed login attempts. "
                                            "Please try again after 1 minute(s)")
    core.settings.account_lockout_threshold = 0  # off
    assert (await _login(api, "erin", "right-pass"))[0] == 200


async def test_the_lockout_table_is_no_class(api: Api) -> None:
    await _login(api, "nobody", "wrong-pass")
    assert (await api.get("/classes/_Lockout", master=True)).json() == {"results": []}
    r = await api.get("/classes/_Lockout")
    assert r.json()["code"] == 119
    r = await api.post("/classes/_Lockout", {"key": "x"}, master=True)
    assert r.json()["code"] == 103


def from_address(api: Api, core, ip: str) -> Api:
    """A client of the same server seen from another address."""
    transport = httpx.ASGITransport(app=create_app(core.settings, core), client=(ip, 40000))
    return Api(httpx.AsyncClient(transport=transport, base_url="http://testserver"))


async def test_nobody_can_lock_a_clinician_out_from_another_address(api: Api, core) -> None:
    r = await api.post("/users", {"username": "drjones", "password": "Long-enough-pw-1", "role": "physician"},
                       master=True)
    assert r.status_code == 201
    attacker = from_address(api, core, "203.0.113.9")
    for _ in range(5):
        assert await _login(attacker, "drjones", "wrong-pass") == INVALID
    assert await _login(attacker, "drjones", "Long-enough-pw-1") == LOCKED  # locked for that address
    assert (await _login(api, "drjones", "Long-enough-pw-1"))[0] == 200  # the clinician's workstation is not
    await attacker.client.aclose()


async def test_one_address_spraying_many_names_is_shut_out_of_login(api: Api, core) -> None:
    await api.signup("victim", password="right-pass")
    core.settings.login_ip_failure_limit = 6
    sprayer = from_address(api, core, "198.51.100.7")
    for n in range(6):  # one wrong password per name: no account reaches its own threshold
        assert await _login(sprayer, f"user{n}", "wrong-pass") == INVALID
    r = await sprayer.post("/login", {"username": "victim", "password": "right-pass"})
    assert (r.status_code, r.json()) == (429, {"code": 100, "error": "Too many requests."})
    assert int(r.headers["retry-after"]) > 0
    assert (await _login(api, "victim", "right-pass"))[0] == 200  # other addresses log in
    async with core.db.transaction() as tx:
        await tx.execute('UPDATE "_Lockout" SET "lockedUntil" = 1 WHERE "key" = \'ip:198.51.100.7\'')
    assert (await _login(sprayer, "victim", "right-pass"))[0] == 200  # the period ended
    await sprayer.client.aclose()
