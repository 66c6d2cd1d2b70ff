"""cloud_reload: a changed cloud file replaces the user code it installed; a broken one changes nothing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chartkeep.app import create_app
from chartkeep.cloud.reload import watch
from chartkeep.settings import Settings
from tests.conftest import APP_ID, MASTER_KEY, Api, running_core
from tests.graphql_api.conftest import Gql

VERSION = '''from chartkeep import cloud


@cloud.define("version")
async def version(req):
    return {n}
'''
EXTRA = '''

@cloud.define("added")
async def added(req):
    return "new"


@cloud.before_save("CloudThing")
async def stamp(req):
    req.object["label"] = "v{n}"
'''


def _write(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    later = path.stat().st_mtime + bump  # a new modification time even within the same second
    os.utime(path, (later, later))


@pytest.fixture
async def served(database_url: str, tmp_path: Any) -> AsyncIterator[tuple[Api, Path]]:
    main = tmp_path / "cloud" / "main.py"
    main.parent.mkdir()
    _write(main, VERSION.format(n=1), 0)
    settings = Settings(app_id=APP_ID, master_key=MASTER_KEY, database_url=database_url, data_dir=tmp_path,
                        cloud=str(main), cloud_reload=True)
    async with running_core(settings) as core:
        watching = asyncio.create_task(watch(core, interval=0.05))
        try:
            app = create_app(settings, core)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
                yield Api(client), main
        finally:
            watching.cancel()


async def _result(api: Api, name: str) -> Any:
    return (await api.post(f"/functions/{name}", {})).json()


async def _until(api: Api, name: str, expected: Any) -> None:
    for _ in range(100):
        if await _result(api, name) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never answered {expected}: {await _result(api, name)}")


async def test_a_changed_file_replaces_the_code_and_a_broken_one_changes_nothing(served: tuple[Api, Path]) -> None:
    api, main = served
    assert await _result(api, "version") == {"result": 1}
    _write(main, VERSION.format(n=2) + EXTRA.format(n=2), 5)
    await _until(api, "version", {"result": 2})
    assert await _result(api, "added") == {"result": "new"}
    r = await api.post("/classes/CloudThing", {"label": "x"}, master=True)
    assert r.json()["label"] == "v2"
    data = await Gql(api).data("mutation { added(input: {}) { result } }")  # the GraphQL schema follows
    assert data == {"added": {"result": "new"}}
    _write(main, "from chartkeep import cloud\n\ndef broken(:\n", 10)
    await asyncio.sleep(0.4)
    assert await _result(api, "version") == {"result": 2}  # the previous version keeps running
    _write(main, VERSION.format(n=3), 15)
    await _until(api, "version", {"result": 3})
    assert (await _result(api, "added"))["code"] == 141  # gone with the version that defined it
    r = await api.post("/classes/CloudThing", {"label": "x"}, master=True)
    assert r.json().get("label") is None  # its trigger too: nothing changed the value, so it is not echoed
    assert await _result(api, "saveNoteDraft") != {"code": 141, "error": 'Invalid function: "saveNoteDraft"'}
