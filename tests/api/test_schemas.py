"""/schemas (master key): create a class, add and drop fields, drop an empty class."""

from __future__ import annotations

from tests.conftest import Api


async def test_schema_lifecycle(api: Api) -> None:
    r = await api.post("/schemas/Vitals", {"className": "Vitals", "fields": {
        "pulse": {"type": "Number", "required": True}, "patient": {"type": "Pointer", "targetClass": "Patient"}}},
        master=True)
    assert r.status_code == 200
    assert r.json()["fields"]["pulse"] == {"type": "Number", "required": True}
    r = await api.post("/schemas/Vitals", {}, master=True)
    assert r.json() == {"code": 103, "error": "Class Vitals already exists."}
    assert (await api.post("/classes/Vitals", {})).json() == {"code": 142, "error": "pulse is required"}
    r = await api.put("/schemas/Vitals", {"fields": {"spo2": {"type": "Number"}}}, master=True)
    assert r.json()["fields"]["spo2"] == {"type": "Number"}
    v = (await api.post("/classes/Vitals", {"pulse": 72, "spo2": 98})).json()
    got = (await api.get(f"/classes/Vitals/{v['objectId']}")).json()
    assert (got["pulse"], got["spo2"]) == (72, 98)
    r = await api.delete("/schemas/Vitals", master=True)
    assert (r.status_code, r.json()) == (400, {
        "code": 255, "error": "Class Vitals is not empty, contains 1 objects, cannot drop schema."})
    r = await api.put("/schemas/Vitals", {"fields": {"spo2": {"__op": "Delete"}}}, master=True)
    assert "spo2" not in r.json()["fields"]
    await api.delete(f"/classes/Vitals/{v['objectId']}")
    assert (await api.delete("/schemas/Vitals", master=True)).json() == {}
    r = await api.get("/schemas/Vitals", master=True)
    assert r.json() == {"code": 103, "error": "Class Vitals does not exist."}


async def test_bad_schema_requests(api: Api) -> None:
    r = await api.post("/schemas/Bad", {"fields": {"x": {"type": "Nope"}}}, master=True)
    assert r.json() == {"code": 111, "error": "invalid field type: Nope"}
    r = await api.post("/schemas/Bad", {"fields": {"a-b": {"type": "String"}}}, master=True)
    assert r.json()["code"] == 105
    r = await api.post("/schemas/9bad", {}, master=True)
    assert r.json()["code"] == 103
    r = await api.put("/schemas/Patient", {"fields": {"mrn": {"type": "String"}}}, master=True)
    assert r.json() == {"code": 255, "error": "Field mrn exists, cannot update."}
