"""Per-IP rate limits on login and sign-up: Parse's 429 ``{"code": 100, "error": "Too many requests."}``."""

from __future__ import annotations

import pytest

from chartkeep.api.rest.ratelimit import RateLimiter
from chartkeep.errors import TooManyRequests
from chartkeep.settings import Settings
from tests.conftest import Api, row_count

TOO_MANY = (429, {"code": 100, "error": "Too many requests."})


async def test_login_limit_counts_get_and_post_whatever_the_answer(api: Api, core) -> None:
    await api.signup("alice", password="right-pass")
    core.settings.login_rate_limit, core.settings.login_rate_window = 3, 60
    assert (await api.post("/login", {"username": "alice", "password": "wrong-pass"})).status_code == 404
    assert (await api.get("/login", params={"username": "alice", "password": "right-pass"})).status_code == 200
    assert (await api.post("/login", {"username": "alice"})).status_code == 400
    for r in (await api.post("/login", {"username": "alice", "password": "right-pass"}),
              await api.get("/login", params={"username": "alice", "password": "right-pass"})):
        assert (r.status_code, r.json()) == TOO_MANY
        assert int(r.headers["retry-after"]) >= 1
    assert await row_count(core, "_Session") == 2  # sign-up + the one login let through
    r = await api.post("/login", {"username": "alice", "password": "right-pass"}, master=True)
    assert r.status_code == 200  # the master key is exempt


async def test_signup_limit_covers_every_way_to_create_a_user(api: Api, core) -> None:
    core.settings.signup_rate_limit = 2
    await api.signup("u1")
    r = await api.post("/classes/_User", {"username": "u2", "password": "pw-123456", "role": "patient"})
    assert r.status_code == 201
    r = await api.post("/users", {"username": "u3", "password": "pw-123456", "role": "patient"})
    assert (r.status_code, r.json()) == TOO_MANY
    r = await api.post("/classes/_User", {"username": "u3", "password": "pw-123456", "role": "patient"})
    assert (r.status_code, r.json()) == TOO_MANY
    batch = {"requests": [{"method": "POST", "path": "/parse/users",
                           "body": {"username": "u4", "password": "pw-123456", "role": "patient"}}]}
    r = await api.post("/batch", batch)
    assert r.json() == [{"error": {"code": 100, "error": "Too many requests."}}]
    assert await row_count(core, "_User") == 2
    assert (await api.post("/classes/Patient", {"name": "not a user"})).status_code != 429  # other classes
    r = await api.post("/users", {"username": "u5", "password": "pw-123456", "role": "patient"}, master=True)
    assert r.status_code == 201
    assert (await api.get("/users", master=True)).status_code == 200


async def test_zero_turns_a_limit_off(api: Api, core) -> None:
    core.settings.login_rate_limit = 0
    for _ in range(70):  # past the default of 60 a minute
        assert (await api.post("/login", {"username": "x", "password": ""})).status_code == 400


def test_token_bucket_refills_and_keeps_ips_apart() -> None:
    now = [1000.0]
    limiter = RateLimiter(lambda s: (2, 10), clock=lambda: now[0])
    settings = Settings()
    limiter.take(settings, "10.0.0.1")
    limiter.take(settings, "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(settings, "10.0.0.1")
    assert refused.value.retry_after == 5  # one token comes back every 10 s / 2
    limiter.take(settings, "10.0.0.2")  # another client has its own bucket
    now[0] += 5
    limiter.take(settings, "10.0.0.1")
    with pytest.raises(TooManyRequests):
        limiter.take(settings, "10.0.0.1")
    now[0] += 3600
    limiter.take(settings, "10.0.0.1")
    limiter.take(settings, "10.0.0.1")  # full again, never more than the limit
    with pytest.raises(TooManyRequests):
        limiter.take(settings, "10.0.0.1")


async def test_workers_share_the_limit(api: Api, core) -> None:
    """With ``serve --workers 3`` each worker allows a third: together never more than the limit."""
    await api.signup("bob", password="right-pass")
    core.settings.login_rate_limit, core.settings.workers = 7, 3
    answers = [(await api.post("/login", {"username": "bob", "password": "right-pass"})).status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]  # 7 // 3 in this worker
    core.settings.signup_rate_limit, core.settings.workers = 2, 4  # fewer than workers: one each
    assert (await api.post("/users", {"username": "c1", "password": "pw-123456", "role": "patient"})).status_code == 201
    r = await api.post("/users", {"username": "c2", "password": "pw-123456", "role": "patient"})
    assert (r.status_code, r.json()) == TOO_MANY
