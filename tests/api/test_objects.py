"""Objects through the REST API: create/get/update/delete, exact round-trips, refusals that change nothing."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Api, row_count

DOB = {"__type": "Date", "iso": "1980-02-29T10:11:12.345Z"}
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def patient(**over):
    body = {"mrn": "MRN-1", "fullName": "Ada Lovelace", "dateOfBirth": DOB, "status": "active"}
    body.update(over)
    return body


async def test_create_returns_201_location_and_parse_shapes(api: Api) -> None:
    r = await api.post("/classes/OpenPatient", patient())
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"objectId", "createdAt"}
    assert re.fullmatch(r"[A-Za-z0-9]{10}", body["objectId"])
    assert ISO_RE.match(body["createdAt"])
    assert r.headers["location"] == f"http://testserver/parse/classes/OpenPatient/{body['objectId']}"
    assert r.headers["content-type"].startswith("application/json")


async def test_get_round_trips_every_seed_type(api: Api) -> None:
    user = await api.signup("dr_house", displayName="Gregory House")
    body = patient(
        allergies=["penicillin", {"substance": "latex", "severity": 3}],
        primaryClinician={"__type": "Pointer", "className": "_User", "objectId": user["objectId"]},
        sexAtBirth="F",
    )
    created = (await api.post("/classes/OpenPatient", body)).json()
    got = (await api.get(f"/classes/OpenPatient/{created['objectId']}")).json()
    assert got["dateOfBirth"] == DOB
    assert got["allergies"] == ["penicillin", {"substance": "latex", "severity": 3}]
    assert isinstance(got["allergies"][1]["severity"], int)
    assert got["primaryClinician"] == {"__type": "Pointer", "className": "_User", "objectId": user["objectId"]}
    assert got["createdAt"] == created["createdAt"] == got["updatedAt"]
    assert got["objectId"] == created["objectId"]


async def test_numbers_keep_int_and_float(api: Api) -> None:
    enc = {"__type": "Pointer", "className": "OpenEncounter", "objectId": "x"}
    p = (await api.post("/classes/OpenPatient", patient())).json()
    author = await api.signup("author1")
    e = (await api.post("/classes/OpenEncounter", {
        "patient": {"__type": "Pointer", "className": "OpenPatient", "objectId": p["objectId"]},
        "encounterNumber": "E1", "type": "outpatient", "startedAt": DOB, "status": "open",
    })).json()
    enc["objectId"] = e["objectId"]
    for value in (3, 2.5, -7, 0):
        note = (await api.post("/classes/OpenMedicalNote", {
            "patient": {"__type": "Pointer", "className": "OpenPatient", "objectId": p["objectId"]},
            "encounter": enc, "author": {"__type": "Pointer", "className": "_User", "objectId": author["objectId"]},
            "title": "t", "noteType": "progress", "currentVersionNumber": value, "status": "draft",
        })).json()
        got = (await api.get(f"/classes/OpenMedicalNote/{note['objectId']}")).json()
        assert got["currentVersionNumber"] == value
        assert type(got["currentVersionNumber"]) is type(value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mrn", 12, "schema mismatch for OpenPatient.mrn; expected String but got Number"),
        ("dateOfBirth", "1980-01-01", "schema mismatch for OpenPatient.dateOfBirth; expected Date but got String"),
        ("allergies", {"a": 1}, "schema mismatch for OpenPatient.allergies; expected Array but got Object"),
        (
            "primaryClinician",
            {"__type": "Pointer", "className": "OpenPatient", "objectId": "abc"},
            "schema mismatch for OpenPatient.primaryClinician; expected Pointer<_User> but got Pointer<OpenPatient>",
        ),
    ],
)
async def test_wrong_type_is_111_and_nothing_saved(api: Api, core, field, value, message) -> None:
    r = await api.post("/classes/OpenPatient", patient(**{field: value}))
    assert r.status_code == 400
    assert r.json() == {"code": 111, "error": message}
    assert await row_count(core, "OpenPatient") == 0


@pytest.mark.parametrize("missing", ["mrn", "fullName", "dateOfBirth", "status"])
async def test_required_field_is_142_naming_it(api: Api, core, missing) -> None:
    body = patient()
    del body[missing]
    r = await api.post("/classes/OpenPatient", body)
    assert (r.status_code, r.json()) == (400, {"code": 142, "error": f"{missing} is required"})
    r = await api.post("/classes/OpenPatient", patient(**{missing: None}))
    assert r.json()["code"] == 142
    assert await row_count(core, "OpenPatient") == 0


async def test_required_field_cannot_be_cleared_on_update(api: Api) -> None:
    p = (await api.post("/classes/OpenPatient", patient())).json()
    for value in (None, "", {"__op": "Delete"}):
        r = await api.put(f"/classes/OpenPatient/{p['objectId']}", {"fullName": value})
        assert r.json() == {"code": 142, "error": "fullName is required"}
    got = (await api.get(f"/classes/OpenPatient/{p['objectId']}")).json()
    assert got["fullName"] == "Ada Lovelace"


async def test_update_and_delete(api: Api) -> None:
    p = (await api.post("/classes/OpenPatient", patient())).json()
    r = await api.put(f"/classes/OpenPatient/{p['objectId']}", {"status": "inactive", "sexAtBirth": "F"})
    assert r.status_code == 200
    assert set(r.json()) == {"updatedAt"}
    got = (await api.get(f"/classes/OpenPatient/{p['objectId']}")).json()
    assert got["status"] == "inactive" and got["updatedAt"] == r.json()["updatedAt"]
    assert got["updatedAt"] >= got["createdAt"]
    r = await api.delete(f"/classes/OpenPatient/{p['objectId']}")
    assert (r.status_code, r.json()) == (200, {})
    r = await api.get(f"/classes/OpenPatient/{p['objectId']}")
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    r = await api.delete(f"/classes/OpenPatient/{p['objectId']}")
    assert (r.status_code, r.json()["code"]) == (404, 101)


async def test_update_missing_object_is_101(api: Api) -> None:
    r = await api.put("/classes/OpenPatient/nope123456", {"status": "x"})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})


async def test_unknown_class_refused_without_master_key(api: Api, core) -> None:
    r = await api.post("/classes/Unknown", {"a": 1})
    assert r.status_code == 400
    assert r.json() == {"code": 119, "error": "Permission denied"}
    assert core.registry.get("Unknown") is None
    for method in ("get", "delete"):
        r = await getattr(api, method)("/classes/Unknown/abcdefghij")
        assert r.json() == {"code": 119, "error": "Permission denied"} if method == "get" else r.json() == {}
    r = await api.get("/classes/Unknown")
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})
    assert (await api.get("/classes/Unknown", master=True)).json() == {"results": []}
    r = await api.post("/classes/Unknown", {"a": 1, "when": DOB}, master=True)
    assert r.status_code == 201
    schema = (await api.get("/schemas/Unknown", master=True)).json()
    assert schema["fields"]["a"] == {"type": "Number"}
    assert schema["fields"]["when"] == {"type": "Date"}


async def test_new_field_follows_the_addfield_permission(api: Api, core) -> None:
    # Parse's default CLP lets clients add fields; a locked class (addField: {}) only the master key.
    r = await api.post("/classes/OpenPatient", patient(favouriteColour="blue"))
    assert r.status_code == 201
    assert (await api.get("/schemas/OpenPatient", master=True)).json()["fields"]["favouriteColour"] == {"type": "String"}
    clp = {op: {"*": True} for op in ("get", "find", "count", "create", "update", "delete")} | {"addField": {}}
    assert (await api.put("/schemas/OpenPatient", {"classLevelPermissions": clp}, master=True)).status_code == 200
    r = await api.post("/classes/OpenPatient", patient(favouriteFood="soup"))
    assert r.json() == {"code": 119, "error": "Permission denied for action addField on class OpenPatient."}
    assert await row_count(core, "OpenPatient") == 1
    r = await api.post("/classes/OpenPatient", patient(favouriteFood="soup"), master=True)
    assert r.status_code == 201
    got = (await api.get(f"/classes/OpenPatient/{r.json()['objectId']}")).json()
    assert got["favouriteFood"] == "soup"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"objectId": "abcdefghij"}, 105, "objectId is an invalid field name."),
        ({"bad-key": 1}, 105, "Invalid field name: bad-key."),
        ({"ACL": {"*": {"read": "yes"}}}, 123, "Invalid ACL."),
        ({"allergies": {"__op": "Increment", "amount": 1}}, 111, None),
        ({"allergies": {"__op": "Frobnicate"}}, 107, None),
    ],
)
async def test_bad_input_codes(api: Api, core, body, code, message) -> None:
    r = await api.post("/classes/OpenPatient", patient(**body))
    assert r.status_code == 400
    assert r.json()["code"] == code
    if message:
        assert r.json()["error"] == message
    assert await row_count(core, "OpenPatient") == 0


async def test_malformed_json_is_107(api: Api, core) -> None:
    r = await api.client.post(
        "/parse/classes/OpenPatient", content=b'{"mrn": ', headers=api.headers()
    )
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "Invalid JSON"})
    r = await api.client.post("/parse/classes/OpenPatient", content=b"[1,2]", headers=api.headers())
    assert r.json()["code"] == 107
    assert await row_count(core, "OpenPatient") == 0


async def test_update_operators(api: Api) -> None:
    await api.post("/schemas/Counter", {"fields": {"n": {"type": "Number"}, "tags": {"type": "Array"}}}, master=True)
    c = (await api.post("/classes/Counter", {"n": 1, "tags": ["a"]})).json()
    path = f"/classes/Counter/{c['objectId']}"
    r = await api.put(path, {"n": {"__op": "Increment", "amount": 2}})
    assert r.json()["n"] == 3
    await api.put(path, {"tags": {"__op": "Add", "objects": ["b", "a"]}})
    await api.put(path, {"tags": {"__op": "AddUnique", "objects": ["a", "c"]}})
    got = (await api.get(path)).json()
    assert got["tags"] == ["a", "b", "a", "c"]
    await api.put(path, {"tags": {"__op": "Remove", "objects": ["a"]}})
    await api.put(path, {"n": {"__op": "Delete"}})
    got = (await api.get(path)).json()
    assert got["tags"] == ["b", "c"]
    assert "n" not in got


async def test_relations(api: Api) -> None:
    await api.post("/schemas/Team", {"fields": {"members": {"type": "Relation", "targetClass": "_User"}}}, master=True)
    a, b = await api.signup("rel_a"), await api.signup("rel_b")
    ptr = lambda u: {"__type": "Pointer", "className": "_User", "objectId": u["objectId"]}  # noqa: E731
    t = (await api.post("/classes/Team", {"members": {"__op": "AddRelation", "objects": [ptr(a), ptr(b)]}})).json()
    got = (await api.get(f"/classes/Team/{t['objectId']}")).json()
    assert got["members"] == {"__type": "Relation", "className": "_User"}
    await api.put(f"/classes/Team/{t['objectId']}", {"members": {"__op": "RemoveRelation", "objects": [ptr(a)]}})
    where = {"$relatedTo": {"object": {"__type": "Pointer", "className": "Team", "objectId": t["objectId"]},
                            "key": "members"}}
    found = (await api.get("/users", params={"where": json.dumps(where)}, master=True)).json()["results"]
    assert [u["objectId"] for u in found] == [b["objectId"]]
