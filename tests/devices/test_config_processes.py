"""Two ``chartkeep serve`` processes on one PostgreSQL and Redis: a Parse Config change made through
one is what the other serves as soon as the change is answered (core/peers.py ``["config"]``).

Both keep the config for five minutes here, so without the notice every read below would be stale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from tests.conftest import private_pg_schema
from tests.processes import HttpApi, healthy, http_api, need_redis, serve, unique_app_id

ROUNDS = 8


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[HttpApi, HttpApi]]:
    await need_redis()
    async with private_pg_schema() as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        flags = ("--database-url", url, "--config-cache-seconds", "300")
        a = stack.enter_context(serve(tmp_path, "a", *flags, app_id=app_id))
        await healthy(a)
        b = stack.enter_context(serve(tmp_path, "b", *flags, app_id=app_id))
        await healthy(b)
        apis = http_api(a, app_id), http_api(b, app_id)
        for api in apis:
            stack.push_async_callback(api.client.aclose)
        yield apis


async def test_a_config_change_through_one_process_is_served_by_the_other_at_once(
        pair: tuple[HttpApi, HttpApi]) -> None:
    a, b = pair
    for n in range(ROUNDS):
        assert (await a.put("/config", {"params": {"round": n}}, master=True)).json() == {"result": True}
        assert (await b.get("/config")).json()["params"] == {"round": n}  # B had round n-1 cached
        assert (await a.get("/config")).json()["params"] == {"round": n}
