"""Bulk Data $export jobs outlive the process that took the kick-off: real ``chartkeep serve``
processes are killed or stopped mid-job, a new one resumes the job, and every line of every file
validates; a second worker of ``serve --workers 2`` answers the status URL, serves the files and
cancels the job; another user gets none of it.

The job is held at a known point by the Cloud Code of ``export_gate.py``: Encounter queries wait
while the gate is closed, so the test knows which types were written when it stops the server.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.conftest import private_pg_schema
from tests.fhir.helpers import validate
from tests.policy.world import World, build_world
from tests.processes import Served, healthy, http_api, need_redis, serve, unique_app_id

HERE = Path(__file__).resolve().parent
ASYNC = {"Prefer": "respond-async"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/export.db"
        return
    async with private_pg_schema() as url:
        yield url


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory the servers' Cloud Code watches; the servers this test starts inherit it."""
    folder = tmp_path / "gate"
    folder.mkdir()
    monkeypatch.setenv("EXPORT_TEST_GATE", str(folder))
    return folder


def server_flags(url: str, tmp: Path, *extra: str) -> tuple[str, ...]:
    return ("--database-url", url, "--data-dir", str(tmp / "data"), "--cloud", str(HERE / "export_gate.py"),
            "--cloud-timeout", "0", *extra)


async def until_held(gate: Path, served: Served, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.05)):
        if any(gate.glob("held-*")):
            return
        assert served.proc.poll() is None, served.output()[-3000:]
        await asyncio.sleep(0.05)
    raise AssertionError("the export never reached its Encounter query")


async def kick_off(http: httpx.AsyncClient, token: str, types: str) -> str:
    r = await http.get("/fhir/R4/Patient/$export", params={"_type": types}, headers={**auth(token), **ASYNC})
    assert r.status_code == 202, r.text
    return urlsplit(r.headers["content-location"]).path  # asked of whichever server is up


async def until_complete(http: httpx.AsyncClient, token: str, status_url: str, seconds: float = 60) -> dict[str, Any]:
    for _ in range(int(seconds / 0.1)):
        r = await http.get(status_url, headers=auth(token))
        if r.status_code == 200:
            manifest: dict[str, Any] = r.json()
            return manifest
        assert r.status_code == 202 and " types, " in r.headers["x-progress"], (r.status_code, r.text)
        await asyncio.sleep(0.1)
    raise AssertionError("the export never finished")


async def every_line(http: httpx.AsyncClient, token: str, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each file of the manifest, downloaded, every line validated with fhir.resources (R4B)."""
    out = {}
    for o in manifest["output"]:
        r = await http.get(o["url"], headers=auth(token))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+ndjson"), r.text
        found = [orjson.loads(line) for line in r.content.splitlines() if line]
        assert len(found) == o["count"] > 0
        for resource in found:
            validate(resource)
            assert resource["resourceType"] == o["type"]
        out[o["type"]] = found
    return out


async def refused_to_others(http: httpx.AsyncClient, w: World, status_url: str, manifest: dict[str, Any] | None,
                            others: tuple[str, ...] = ("nurse", "outsider")) -> None:
    for who in others:
        r = await http.get(status_url, headers=auth(w.token(who)))
        assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome", r.text
        assert (await http.delete(status_url, headers=auth(w.token(who)))).status_code == 404
        for o in (manifest or {}).get("output", []):
            r = await http.get(o["url"], headers=auth(w.token(who)))
            assert r.status_code == 404 and r.json()["issue"][0]["code"] == "not-found", r.text


def job_files(tmp: Path, status_url: str) -> dict[str, bytes]:
    folder = tmp / "data" / "fhir-export" / status_url.rsplit("/", 1)[1]
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_job_whose_server_died_mid_job_is_resumed_by_the_next_server(
        kind: str, tmp_path: Path, gate: Path) -> None:
    """SIGKILL while the job waits on its second type: the next server takes the job over once the dead
    one's lease lapsed, keeps the file already written, and completes it."""
    await need_redis()
    async with database(kind, tmp_path) as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        flags = server_flags(url, tmp_path, "--fhir-export-lease-seconds", "2", "--fhir-export-sweep-seconds", "0.5")
        first = stack.enter_context(serve(tmp_path, "first", *flags, app_id=app_id))
        await healthy(first)
        api = http_api(first, app_id)
        stack.push_async_callback(api.client.aclose)
        w = await build_world(api)
        token = w.token("physician")
        (gate / "closed").touch()
        status_url = await kick_off(api.client, token, "Patient,Encounter")
        await until_held(gate, first)
        r = await api.client.get(status_url, headers=auth(token))
        assert r.status_code == 202 and r.headers["x-progress"].startswith("1 of 2 types, "), r.headers
        written = job_files(tmp_path, status_url)
        assert [n.split(".")[:2] for n in written] == [["Patient", "ndjson"]]
        first.proc.kill()  # dies: no hand-back, the lease lapses
        first.proc.wait(10)
        (gate / "closed").unlink()

        second = stack.enter_context(serve(tmp_path, "second", *flags, app_id=app_id))
        await healthy(second)
        again = http_api(second, app_id)
        stack.push_async_callback(again.client.aclose)
        manifest = await until_complete(again.client, token, status_url)
        assert [o["type"] for o in manifest["output"]] == ["Patient", "Encounter"]
        assert manifest["request"].startswith(f"http://{first.host}/fhir/R4/Patient/$export?_type=")  # as kicked off
        found = await every_line(again.client, token, manifest)
        assert {p["id"] for p in found["Patient"]} == {w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"}
        assert w.ids["Encounter"] in {e["id"] for e in found["Encounter"]}
        after = job_files(tmp_path, status_url)
        for name, data in written.items():  # the file the dead server wrote is the one served
            assert after[name] == data
        assert len(after) == 2 and not any(b"MRN-" in data for data in after.values())
        await refused_to_others(again.client, w, status_url, manifest)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_job_a_stopping_server_had_not_written_anything_of_is_handed_back(
        kind: str, tmp_path: Path, gate: Path) -> None:
    """SIGTERM while the job waits on its first type: the stopping server hands the job back at once
    (no lease to wait out, default settings), and the next server runs it from the start."""
    await need_redis()
    async with database(kind, tmp_path) as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        first = stack.enter_context(serve(tmp_path, "first", *server_flags(url, tmp_path), app_id=app_id))
        await healthy(first)
        api = http_api(first, app_id)
        stack.push_async_callback(api.client.aclose)
        w = await build_world(api)
        token = w.token("nurse")
        (gate / "closed").touch()
        status_url = await kick_off(api.client, token, "Encounter,Patient")
        await until_held(gate, first)
        r = await api.client.get(status_url, headers=auth(token))
        assert r.status_code == 202 and r.headers["x-progress"] == "0 of 2 types, 0 resources"
        await api.client.aclose()
        first.proc.send_signal(signal.SIGTERM)
        first.proc.wait(20)
        assert "Application shutdown complete" in first.output(), first.output()[-3000:]
        (gate / "closed").unlink()

        second = stack.enter_context(serve(tmp_path, "second", *server_flags(url, tmp_path), app_id=app_id))
        await healthy(second)
        again = http_api(second, app_id)
        stack.push_async_callback(again.client.aclose)
        manifest = await until_complete(again.client, token, status_url, seconds=15)  # well within the 30 s lease
        assert [o["type"] for o in manifest["output"]] == ["Encounter", "Patient"]
        found = await every_line(again.client, token, manifest)
        assert {p["id"] for p in found["Patient"]} == {w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"}
        await refused_to_others(again.client, w, status_url, manifest, ("physician", "outsider"))


async def pid_of(http: httpx.AsyncClient, app_id: str) -> int:
    r = await http.post("/parse/functions/whoami", json={}, headers={"X-Parse-Application-Id": app_id})
    assert r.status_code == 200, r.text
    return int(r.json()["result"])


async def other_worker(served: Served, app_id: str, pid: int) -> tuple[httpx.AsyncClient, int]:
    """A keep-alive connection answered by a worker other than ``pid``."""
    for _ in range(100):
        http = httpx.AsyncClient(base_url=f"http://{served.host}", timeout=30, limits=httpx.Limits(max_connections=1))
        other = await pid_of(http, app_id)
        if other != pid:
            return http, other
        await http.aclose()
    raise AssertionError("every new connection went to the same worker")


async def test_a_second_worker_answers_serves_and_cancels_a_job_the_first_runs(tmp_path: Path, gate: Path) -> None:
    await need_redis()
    async with private_pg_schema() as url, AsyncExitStack() as stack:
        app_id = unique_app_id()
        served = stack.enter_context(serve(tmp_path, "w", *server_flags(url, tmp_path, "--workers", "2"), app_id=app_id))
        await healthy(served)
        api = http_api(served, app_id)
        stack.push_async_callback(api.client.aclose)
        w = await build_world(api)
        token = w.token("physician")
        kicker = httpx.AsyncClient(base_url=f"http://{served.host}", timeout=30, limits=httpx.Limits(max_connections=1))
        stack.push_async_callback(kicker.aclose)
        running_in = await pid_of(kicker, app_id)
        (gate / "closed").touch()
        status_url = await kick_off(kicker, token, "Patient,Encounter")
        await until_held(gate, served)
        assert [p.name for p in gate.glob("held-*")] == [f"held-{running_in}"]  # the kick-off's worker runs it

        poller, other = await other_worker(served, app_id, running_in)
        stack.push_async_callback(poller.aclose)
        assert other != running_in
        r = await poller.get(status_url, headers=auth(token))
        assert r.status_code == 202 and r.headers["x-progress"].startswith("1 of 2 types, "), (r.status_code, r.text)
        await refused_to_others(poller, w, status_url, None)
        (gate / "closed").unlink()
        manifest = await until_complete(poller, token, status_url)
        found = await every_line(poller, token, manifest)
        assert set(found) == {"Patient", "Encounter"}
        await refused_to_others(poller, w, status_url, manifest)

        # a job running in one worker, cancelled through the other: it stops and leaves no file
        for held in gate.glob("held-*"):
            held.unlink()
        (gate / "closed").touch()
        second_url = await kick_off(kicker, token, "Patient,Encounter")
        await until_held(gate, served)
        assert job_files(tmp_path, second_url)
        assert (await poller.delete(second_url, headers=auth(token))).status_code == 202
        assert (await kicker.get(second_url, headers=auth(token))).status_code == 404
        (gate / "closed").unlink()
        for _ in range(100):  # the runner's next update finds the job gone
            await asyncio.sleep(0.1)
            if not (tmp_path / "data" / "fhir-export" / second_url.rsplit("/", 1)[1]).exists():
                break
        assert not job_files(tmp_path, second_url)
        await asyncio.sleep(0.5)
        assert not (tmp_path / "data" / "fhir-export" / second_url.rsplit("/", 1)[1]).exists()
        assert (await poller.get(second_url, headers=auth(token))).status_code == 404
