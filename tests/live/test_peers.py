"""Two ``chartkeep serve`` processes on one PostgreSQL and Redis: what one process changes, the other
applies before the change is answered (core/peers.py).

Both processes cache sessions and roles for 60 s here, so without the notices every assertion
below would see the stale answer; each is checked right after the change's response, with no wait.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import private_pg_schema
from tests.policy.world import World, build_world, staff
from tests.processes import HttpApi, healthy, http_api, need_redis, serve, unique_app_id

ROUNDS = 8  # a race between the notice and the next request would show up as a flaky round
INVALID = {"code": 209, "error": "Invalid session token"}
NOT_FOUND = {"code": 101, "error": "Object not found."}


@dataclass
class Pair:
    a: HttpApi
    b: HttpApi


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    await need_redis()
    async with private_pg_schema() as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        flags = ("--database-url", url, "--session-cache-seconds", "60", "--role-cache-seconds", "60")
        a = stack.enter_context(serve(tmp_path, "a", *flags, app_id=app_id))
        await healthy(a)  # A initializes the database first
        b = stack.enter_context(serve(tmp_path, "b", *flags, app_id=app_id))
        await healthy(b)
        apis = Pair(http_api(a, app_id), http_api(b, app_id))
        for api in (apis.a, apis.b):
            stack.push_async_callback(api.client.aclose)
        yield apis


async def login(api: HttpApi, username: str, password: str = "Long-enough-pw-1") -> dict[str, str]:
    r = await api.post("/login", {"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


async def me(api: HttpApi, token: str) -> tuple[int, dict[str, object]]:
    r = await api.get("/users/me", session=token)
    return r.status_code, r.json()


async def test_a_logout_through_one_process_is_refused_by_the_other_at_once(pair: Pair) -> None:
    await staff(pair.a, "dr1", "physician")
    for _ in range(ROUNDS):
        token = (await login(pair.a, "dr1"))["sessionToken"]
        assert (await me(pair.b, token))[0] == 200  # B has it cached now
        assert (await pair.a.post("/logout", {}, session=token)).status_code == 200
        assert await me(pair.b, token) == (400, INVALID)


async def test_deleting_a_session_or_changing_the_password_reaches_the_other_process(pair: Pair) -> None:
    user = await staff(pair.a, "dr2", "physician")
    for _ in range(ROUNDS // 2):
        keep, gone = (await login(pair.a, "dr2"))["sessionToken"], (await login(pair.a, "dr2"))["sessionToken"]
        assert (await me(pair.b, gone))[0] == 200
        listed = (await pair.a.get("/sessions", session=keep)).json()["results"]
        others = [s["objectId"] for s in listed if "sessionToken" not in s]  # only the caller's own shows it
        for session_id in others:
            assert (await pair.a.delete(f"/sessions/{session_id}", session=keep)).status_code == 200
        assert await me(pair.b, gone) == (400, INVALID)
        assert (await me(pair.b, keep))[0] == 200
        assert (await pair.a.post("/logout", {}, session=keep)).status_code == 200
    old = (await login(pair.a, "dr2"))["sessionToken"]
    assert (await me(pair.b, old))[0] == 200
    r = await pair.a.put(f"/users/{user['objectId']}", {"password": "Another-long-pw-2"}, master=True)
    assert r.status_code == 200, r.text
    assert await me(pair.b, old) == (400, INVALID)  # a password change ends every session
    assert (await login(pair.b, "dr2", "Another-long-pw-2"))["sessionToken"]


async def chart_read(api: HttpApi, w: World, who: str) -> tuple[int, dict[str, object]]:
    r = await api.get(f"/classes/Patient/{w.ids['Patient']}", session=w.token(who))
    return r.status_code, r.json()


async def test_a_care_team_change_through_one_process_applies_in_the_other_at_once(pair: Pair) -> None:
    w = await build_world(pair.a)
    where = {"user": w.user("scribe"), "patient": w.ref("Patient")}
    row = (await pair.a.get("/classes/CareTeamMember", params={"where": json.dumps(where)},
                            master=True)).json()["results"][0]["objectId"]
    for _ in range(ROUNDS // 2):
        assert (await chart_read(pair.b, w, "scribe"))[0] == 200  # B has the scribe's roles cached
        assert (await pair.a.delete(f"/classes/CareTeamMember/{row}", session=w.token("physician"))).status_code == 200
        assert await chart_read(pair.b, w, "scribe") == (404, NOT_FOUND)
        r = await pair.a.post("/classes/CareTeamMember", {"patient": w.ref("Patient"), "user": w.user("scribe"),
                                                          "reason": "back"}, session=w.token("physician"))
        assert r.status_code == 201, r.text
        row = r.json()["objectId"]
        assert (await chart_read(pair.b, w, "scribe"))[0] == 200  # and being added back, at once too


async def test_a_class_changed_through_one_process_is_known_to_the_other(pair: Pair) -> None:
    r = await pair.a.post("/schemas/Referral", {"className": "Referral", "fields": {"reason": {"type": "String"}}},
                          master=True)
    assert r.status_code == 200, r.text
    assert (await pair.b.get("/schemas/Referral", master=True)).json()["fields"]["reason"] == {"type": "String"}
    r = await pair.a.put("/schemas/Referral", {"className": "Referral", "fields": {"urgent": {"type": "Boolean"}}},
                         master=True)
    assert r.status_code == 200, r.text
    made = await pair.b.post("/classes/Referral", {"reason": "cardiology", "urgent": True}, master=True)
    assert made.status_code == 201, made.text
    got = (await pair.b.get(f"/classes/Referral/{made.json()['objectId']}", master=True)).json()
    assert (got["reason"], got["urgent"]) == ("cardiology", True)
    assert (await pair.b.delete(f"/classes/Referral/{made.json()['objectId']}", master=True)).status_code == 200
    assert (await pair.a.delete("/schemas/Referral", master=True)).status_code == 200
    r = await pair.b.get("/schemas/Referral", master=True)
    assert r.json() == {"code": 103, "error": "Class Referral does not exist."}
