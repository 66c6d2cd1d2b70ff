"""Clients cannot flood the ledger (issue 21, item 5): each appended event is capped in bytes, and
one user's appends in number per window and per day; the master key is not limited."""

from __future__ import annotations

from tests.audit.helpers import check, entries_after, head
from tests.conftest import Api
from tests.policy.world import build_world


async def test_an_oversized_event_is_142_naming_the_limit(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    start = await head(core)
    limit = core.settings.audit_event_max_bytes
    assert limit == 16 * 1024
    big = {"eventType": "note", "details": "x" * limit}
    r = await api.post("/classes/AuditEvent", big, session=w.token("patient"))
    assert r.status_code == 400
    assert r.json() == {"code": 142, "error": f"AuditEvent: an event may be at most {limit} bytes as JSON "
                                              f"(audit_event_max_bytes); this one is {limit + 33}"}
    nested = await api.post("/classes/AuditLog", {"action": "a", "metadata": {"k": ["y" * limit]}},
                            session=w.token("patient"))
    assert (nested.status_code, nested.json()["code"]) == (400, 142)
    assert await entries_after(core, start) == []  # nothing appended, not even a refusal
    fits = await api.post("/classes/AuditEvent", {"eventType": "note", "details": "x" * (limit - 100)},
                          session=w.token("patient"))
    assert fits.status_code == 201, fits.text
    assert (await check(core)).ok


async def test_one_user_may_append_only_so_many_events(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    core.settings.audit_event_rate_limit = 5
    start = await head(core)
    answers = [await api.post("/classes/AuditEvent", {"eventType": f"e{i}"}, session=w.token("patient"))
               for i in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2
    assert answers[5].json() == {"code": 100, "error": "Too many requests: a user may append at most 5 audit "
                                                       "events per 60 s (audit_event_rate_limit)."}
    assert int(answers[5].headers["Retry-After"]) >= 1
    assert len(await entries_after(core, start)) == 5
    # another user has an allowance of their own; the master key is not limited
    assert (await api.post("/classes/AuditEvent", {"eventType": "n"}, session=w.token("nurse"))).status_code == 201
    for _ in range(6):
        assert (await api.post("/classes/AuditEvent", {"eventType": "m"}, master=True)).status_code == 201


async def test_the_daily_allowance_holds_across_windows(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    core.settings.audit_event_rate_limit = 0
    core.settings.audit_event_daily_limit = 3
    codes = [(await api.post("/classes/AuditLog", {"action": "a"}, session=w.token("patient"))).status_code
             for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    r = await api.post("/classes/AuditLog", {"action": "a"}, session=w.token("patient"))
    assert "audit_event_daily_limit" in r.json()["error"]
