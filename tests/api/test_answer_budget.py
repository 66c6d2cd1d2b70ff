"""Answers are bounded in bytes (issue 21, item 1): an included object is written out once per
reference, so a find with include could build an answer many times the size of the data; /batch
and GraphQL add up their parts. Past ``max_response_bytes`` the request is refused with 116."""

from __future__ import annotations

from chartkeep.core.sizes import json_size
from tests.conftest import Api
from tests.graphql_api.conftest import Gql

DOB = {"__type": "Date", "iso": "1970-01-01T00:00:00.000Z"}
BIG = "x" * 200_000


async def notes_of_one_big_patient(api: Api, n: int) -> str:
    p = (await api.post("/classes/OpenPatient", {"mrn": "B", "fullName": BIG, "dateOfBirth": DOB, "status": "a"})).json()
    ptr = {"__type": "Pointer", "className": "OpenPatient", "objectId": p["objectId"]}
    for i in range(n):
        r = await api.post("/classes/OpenEncounter", {"patient": ptr, "encounterNumber": f"E{i}", "type": "t",
                                                      "startedAt": DOB, "status": "open"})
        assert r.status_code == 201, r.text
    return str(p["objectId"])


async def test_include_expansion_past_the_budget_is_116(api: Api, core) -> None:
    await notes_of_one_big_patient(api, 12)
    core.settings.max_response_bytes = 2_000_000  # 12 × 200 KB included: 2.4 MB written out
    plain = await api.get("/classes/OpenEncounter")
    assert plain.status_code == 200 and len(plain.json()["results"]) == 12
    r = await api.get("/classes/OpenEncounter", params={"include": "patient"})
    assert r.status_code == 400
    assert r.json() == {"code": 116, "error": "The answer would be larger than 2000000 bytes (max_response_bytes): "
                                              "ask for fewer rows (limit), fields (keys) or included objects (include)."}
    fewer = await api.get("/classes/OpenEncounter", params={"include": "patient", "limit": 5})
    assert fewer.status_code == 200 and fewer.json()["results"][0]["patient"]["fullName"] == BIG


async def test_a_batch_of_reads_past_the_budget(api: Api, core) -> None:
    patient = await notes_of_one_big_patient(api, 0)
    core.settings.max_response_bytes = 1_000_000
    reads = [{"method": "GET", "path": f"/parse/classes/OpenPatient/{patient}"} for _ in range(6)]
    r = await api.post("/batch", {"requests": reads})
    answers = r.json()
    assert [("success" in a) for a in answers] == [True] * 4 + [False] * 2
    assert answers[4]["error"]["code"] == 116 and "max_response_bytes" in answers[4]["error"]["error"]
    together = await api.post("/batch", {"requests": reads, "transaction": True})
    assert together.status_code == 400 and together.json()["code"] == 116


async def test_a_graphql_result_past_the_budget(api: Api, core) -> None:
    for i in range(3):
        await api.signup(f"reader{i}")
    gql = Gql(api)
    one_find = sum(json_size(o) for o in (await api.get("/users", master=True)).json()["results"])
    core.settings.max_response_bytes = one_find + 100  # each find fits; thirty of them together do not
    query = "{ " + " ".join(f"a{i}: users(first: 5) {{ edges {{ node {{ username }} }} }}" for i in range(30)) + " }"
    r = await gql.post(query, master=True)
    assert r.status_code == 400
    assert r.json() == {"errors": [{"message": f"The GraphQL result would be larger than {one_find + 100} bytes "
                                               "(max_response_bytes): ask for fewer rows (limit), fields (keys) or "
                                               "included objects (include).", "extensions": {"code": 116}}]}
    core.settings.max_response_bytes = 0
    assert len((await gql.data(query, master=True))["a29"]["edges"]) == 3
