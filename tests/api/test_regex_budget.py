"""``$regex`` cannot stall the server: RE2 runs it in linear time; what RE2 cannot run is 102 (issue 21, item 2)."""

from __future__ import annotations

import json
import time

from tests.conftest import Api

DOB = {"__type": "Date", "iso": "1970-01-01T00:00:00.000Z"}


async def test_catastrophic_pattern_answers_at_once(api: Api) -> None:
    body = {"mrn": "M", "fullName": "a" * 27 + "b", "dateOfBirth": DOB, "status": "active"}
    made = (await api.post("/classes/OpenPatient", body)).json()
    started = time.perf_counter()
    r = await api.get("/classes/OpenPatient", params={"where": json.dumps({"fullName": {"$regex": "(a+)+$"}})})
    hit = await api.get("/classes/OpenPatient", params={"where": json.dumps({"fullName": {"$regex": "(a+)+b$"}})})
    elapsed = time.perf_counter() - started
    assert (r.status_code, r.json()) == (200, {"results": []})
    assert [o["objectId"] for o in hit.json()["results"]] == [made["objectId"]]
    assert elapsed < 1.0  # Python's re took 8.6 s on this value


async def test_backreference_is_refused_with_102(api: Api) -> None:
    r = await api.get("/classes/OpenPatient", params={"where": json.dumps({"fullName": {"$regex": "(a)\\1"}})})
    assert r.status_code == 400
    assert r.json() == {
        "code": 102,
        "error": "Invalid regular expression: invalid escape sequence: \\1 ($regex runs on a linear-time engine: "
        "no backreferences, lookahead, lookbehind or comments)",
    }
