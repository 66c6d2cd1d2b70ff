"""Input a database cannot store or count gets Parse's error code, never a 500 (issue 21, item 6); string
values are capped by max_string_bytes (item 1)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Api, row_count

DOB = {"__type": "Date", "iso": "1970-01-01T00:00:00.000Z"}
PATIENT = {"mrn": "M1", "fullName": "Pat", "dateOfBirth": DOB, "status": "active"}


async def test_nul_in_a_string_value_is_111(api: Api, core) -> None:
    r = await api.post("/classes/OpenPatient", {**PATIENT, "fullName": "Pa\x00t"})
    assert (r.status_code, r.json()) == (400, {"code": 111, "error": "fullName: strings cannot contain NUL characters"})
    nested = await api.post("/classes/OpenPatient", {**PATIENT, "allergies": ["ok", {"x": "a\x00"}]})
    assert (nested.status_code, nested.json()["code"]) == (400, 111)
    assert await row_count(core, "OpenPatient") == 0


async def test_nul_in_a_field_name_is_105(api: Api, core) -> None:
    r = await api.post("/classes/OpenPatient", {**PATIENT, "no\x00te": "x"}, master=True)
    assert (r.status_code, r.json()["code"]) == (400, 105)
    assert "Invalid field name" in r.json()["error"]
    assert await row_count(core, "OpenPatient") == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_nul_in_an_object_id_is_101(api: Api, method: str) -> None:
    r = await api.request(method, "/classes/OpenPatient/abc%00def", {"fullName": "x"} if method == "PUT" else None)
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})


async def test_nul_in_order_and_keys_is_105(api: Api) -> None:
    assert (await api.post("/classes/OpenPatient", PATIENT)).status_code == 201
    for params in ({"order": "full\x00Name"}, {"keys": "full\x00Name"}, {"include": "pri\x00mary"}):
        r = await api.get("/classes/OpenPatient", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["code"] in (102, 105), (params, r.text)


async def test_nul_in_a_login_is_101(api: Api) -> None:
    await api.signup("nurse1")
    r = await api.post("/login", {"username": "nurse1\x00", "password": "pw-123456"})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Invalid username/password."})
    r = await api.post("/login", {"username": "nurse1", "password": "pw\x00"})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Invalid username/password."})
    r = await api.get("/login", params={"username": "nurse1", "password": "pw-123456\x00"})
    assert (r.status_code, r.json()["code"]) == (404, 101)


@pytest.mark.parametrize(("name", "value"), [("limit", "1" + "0" * 24), ("skip", "1" + "0" * 21),
                                             ("limit", "-1" + "0" * 24), ("skip", "99999999999999999999")])
async def test_huge_limit_and_skip_are_102(api: Api, name: str, value: str) -> None:
    assert (await api.post("/classes/OpenPatient", PATIENT)).status_code == 201
    r = await api.get("/classes/OpenPatient", params={name: value})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 102
    w = await api.get("/classes/OpenPatient", params={"where": json.dumps({}), name: int(value)})
    assert w.status_code == 400 and w.json()["code"] == 102


async def test_include_acl_is_ignored_not_500(api: Api) -> None:
    made = (await api.post("/classes/OpenPatient", {**PATIENT, "ACL": {"*": {"read": True}}})).json()
    r = await api.get("/classes/OpenPatient", params={"include": "ACL"})
    assert r.status_code == 200, r.text
    assert [o["objectId"] for o in r.json()["results"]] == [made["objectId"]]
    assert r.json()["results"][0]["ACL"] == {"*": {"read": True}}
    one = await api.get(f"/classes/OpenPatient/{made['objectId']}", params={"include": "ACL,ACL.x"})
    assert one.status_code == 200 and one.json()["ACL"] == {"*": {"read": True}}


async def test_a_string_over_max_string_bytes_is_142_naming_the_limit(api: Api, core) -> None:
    limit = core.settings.max_string_bytes
    assert limit == 256 * 1024
    at_limit = await api.post("/classes/OpenPatient", {**PATIENT, "fullName": "é" * (limit // 2)})
    assert at_limit.status_code == 201, at_limit.text
    for body in ({**PATIENT, "fullName": "é" * (limit // 2) + "x"}, {**PATIENT, "allergies": ["a", {"n": "x" * (limit + 1)}]}):
        r = await api.post("/classes/OpenPatient", body)
        field = "fullName" if "é" in str(body.get("fullName")) else "allergies"
        assert (r.status_code, r.json()) == (
            400, {"code": 142, "error": f"{field}: a string value may be at most 262144 bytes (max_string_bytes)"})
    made = at_limit.json()["objectId"]
    r = await api.put(f"/classes/OpenPatient/{made}", {"fullName": "x" * (limit + 1)})
    assert r.status_code == 400 and r.json()["code"] == 142
    stored = (await api.get(f"/classes/OpenPatient/{made}")).json()
    assert stored["fullName"] == "é" * (limit // 2)
    assert await row_count(core, "OpenPatient") == 1
