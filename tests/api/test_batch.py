"""/batch: per-request results, and all-or-nothing with ``transaction: true``."""

from __future__ import annotations

from tests.conftest import Api, row_count

DOB = {"__type": "Date", "iso": "1970-01-01T00:00:00.000Z"}


def patient(mrn: str) -> dict:
    return {"mrn": mrn, "fullName": f"P {mrn}", "dateOfBirth": DOB, "status": "active"}


async def test_batch_mixed_results(api: Api, core) -> None:
    ok = await api.post("/classes/OpenPatient", patient("B0"))
    oid = ok.json()["objectId"]
    r = await api.post("/batch", {"requests": [
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("B1")},
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": {"mrn": "B2"}},
        {"method": "PUT", "path": f"/parse/classes/OpenPatient/{oid}", "body": {"status": "inactive"}},
        {"method": "DELETE", "path": "/parse/classes/OpenPatient/missing000"},
        {"method": "GET", "path": f"/parse/classes/OpenPatient/{oid}"},
    ]})
    assert r.status_code == 200
    results = r.json()
    assert set(results[0]["success"]) == {"objectId", "createdAt"}
    assert results[1] == {"error": {"code": 142, "error": "fullName is required"}}
    assert set(results[2]["success"]) == {"updatedAt"}
    assert results[3] == {"error": {"code": 101, "error": "Object not found."}}
    assert results[4]["success"]["status"] == "inactive"
    assert await row_count(core, "OpenPatient") == 2


async def test_transactional_batch_is_all_or_nothing(api: Api, core) -> None:
    r = await api.post("/batch", {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("T1")},
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("T2")},
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": {"mrn": "T3"}},
    ]})
    assert (r.status_code, r.json()) == (400, {"code": 142, "error": "fullName is required"})
    assert await row_count(core, "OpenPatient") == 0
    r = await api.post("/batch", {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("T1")},
        {"method": "POST", "path": "/classes/OpenPatient", "body": patient("T2")},
    ]})
    assert r.status_code == 400 and r.json()["code"] == 107
    r = await api.post("/batch", {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("T1")},
        {"method": "POST", "path": "/parse/classes/OpenPatient", "body": patient("T2")},
    ]})
    assert r.status_code == 200 and len(r.json()) == 2
    assert await row_count(core, "OpenPatient") == 2


async def test_batch_malformed(api: Api) -> None:
    r = await api.post("/batch", {"requests": "nope"})
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "requests must be an array"})
    r = await api.post("/batch", {"requests": [{"method": "POST", "path": "/elsewhere/classes/X", "body": {}}]})
    assert r.json() == [{"error": {"code": 107, "error": "cannot route batch path /elsewhere/classes/X"}}]
