"""A request body sent slowly after its headers cannot hold a connection (issue 21, connections):
REST, GraphQL and file uploads answer 408 with code 124 and close the connection once the body
falls behind ``http_body_timeout`` / ``http_body_min_rate`` — on a real socket to a real uvicorn."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import APP_ID, MASTER_KEY
from tests.processes import chartkeep_in_loop

SLOW = ("The request body came too slowly: it may take 0.5 s plus 1 s per 200 bytes "
        "(http_body_timeout, http_body_min_rate).")


@pytest.fixture
async def port(tmp_path: Any) -> AsyncIterator[int]:
    async with chartkeep_in_loop(tmp_path, http_body_timeout=0.5, http_body_min_rate=200) as port:
        yield port


def head(path: str, length: int, content_type: str = "application/json") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nX-Parse-Application-Id: {APP_ID}\r\n"
            f"X-Parse-Master-Key: {MASTER_KEY}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


async def answer(reader: asyncio.StreamReader, seconds: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer; the connection must then be closed by the server."""
    raw = await asyncio.wait_for(reader.read(), seconds)  # read() returns once the server closed
    top, _, body = raw.partition(b"\r\n\r\n")
    lines = top.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("path", ["/parse/classes/Note", "/graphql", "/parse/files/scan.txt"])
async def test_a_body_that_stops_coming_is_answered_408_and_closed(port: int, path: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(head(path, 1000, "text/plain" if "files" in path else "application/json") + b'{"title": "a')
    status, headers, body = await answer(reader)
    assert 0.4 < time.monotonic() - started < 2.0
    assert status == 408
    assert headers["connection"] == "close"
    assert json.loads(body) == {"code": 124, "error": SLOW}
    writer.close()


async def test_a_body_trickled_below_the_minimum_rate_is_cut_off(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head("/parse/classes/Note", 10_000))
    started = time.monotonic()

    async def trickle() -> None:  # 20 bytes per 0.1 s: 200 bytes/s would be needed on top of the 0.5 s
        for _ in range(500):
            writer.write(b" " * 10)
            await asyncio.sleep(0.1)

    sending = asyncio.create_task(trickle())
    try:
        status, _, body = await answer(reader)
    finally:
        sending.cancel()
    assert status == 408 and json.loads(body)["code"] == 124
    assert time.monotonic() - started < 3.0  # without a deadline: 100 s
    writer.close()


async def test_a_slow_body_does_not_hold_the_loop_and_a_paced_one_is_taken(port: int) -> None:
    slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", port)
    slow_writer.write(head("/parse/classes/Note", 1000) + b"{")
    # meanwhile other requests are answered at once
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(b"GET /parse/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    status, _, _ = await answer(reader)
    assert status == 200 and time.monotonic() - started < 0.4
    # a body in two parts, the second after a pause within the allowance, is written
    body = json.dumps({"title": "paced", "pad": "x" * 200}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head("/parse/classes/Note", len(body)).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
                 + body[:100])
    await asyncio.sleep(0.3)
    writer.write(body[100:])
    status, _, reply = await answer(reader)
    assert status == 201 and "objectId" in json.loads(reply)
    assert (await answer(slow_reader))[0] == 408


async def test_fhir_answers_a_slow_body_with_a_timeout_outcome(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head("/fhir/R4/Patient", 1000, "application/fhir+json") + b'{"resourceType": "Pat')
    status, headers, body = await answer(reader)
    assert (status, headers["connection"]) == (408, "close")
    assert json.loads(body)["issue"] == [{"severity": "error", "code": "timeout",
                                         "diagnostics": f"{SLOW} (Parse code 124)"}]
    writer.close()
