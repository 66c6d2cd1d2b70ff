"""before_find / after_find (narrow or reshape, never widen) and the login hooks."""

from __future__ import annotations

import json
from typing import Any

from tests.cloud.seen import EVENTS
from tests.conftest import Api, row_count
from tests.policy.world import build_world, staff


async def test_before_find_narrows_and_after_find_filters_and_shapes(api: Api) -> None:
    for body in ({"label": "a"}, {"label": "b", "archived": True}, {"label": "c", "secret": True}):
        assert (await api.post("/classes/CloudThing", body, master=True)).status_code == 201
    found = (await api.get("/classes/CloudThing", master=True)).json()["results"]
    assert [(t["label"], t["seenBy"]) for t in found] == [("a", "cloud")]
    secret = (await api.get("/classes/CloudThing", master=True,
                            params={"where": json.dumps({"label": "c"})})).json()["results"]
    assert secret == []
    r = await api.get("/classes/CloudThing", master=True, headers={"X-Fabricate": "1"})
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": "after_find of CloudThing may only remove or "
                                                                      "reshape the objects the query found"})
    one = found[0]["objectId"]
    assert (await api.get(f"/classes/CloudThing/{one}", master=True)).json()["seenBy"] == "cloud"


async def test_before_find_cannot_widen_a_query_past_the_read_guard(api: Api) -> None:
    w = await build_world(api)
    where = {"where": json.dumps({"mrn": "WIDEN-ALL"})}
    r = await api.get("/classes/Patient", session=w.token("outsider"), params=where)
    assert r.json() == {"results": []}  # the hook dropped the constraint; the care-team guard stayed
    r = await api.get("/classes/Patient", session=w.token("nurse"), params=where)
    assert len(r.json()["results"]) == 1  # the hook did run: without it, no patient has that MRN


async def test_before_login_may_refuse_and_after_login_and_logout_follow(api: Api, core: Any) -> None:
    await staff(api, "blocked1", "nurse")
    sessions = await row_count(core, "_Session")
    r = await api.post("/login", {"username": "blocked1", "password": "Long-enough-pw-1"})
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "This account is suspended by the clinic"})
    assert await row_count(core, "_Session") == sessions
    await staff(api, "crashy1", "nurse")
    r = await api.post("/login", {"username": "crashy1", "password": "Long-enough-pw-1"})
    assert r.status_code == 200, r.text  # a failing after_login is logged; the login stands
    assert "login crashy1" in EVENTS
    token, uid = r.json()["sessionToken"], r.json()["objectId"]
    assert (await api.post("/logout", {}, session=token)).status_code == 200
    assert f"logout {uid}" in EVENTS
