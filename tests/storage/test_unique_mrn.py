"""``Patient.mrn`` is unique on both databases, as ``PatientProfile.medicalRecordNumber``; an existing
database whose patients already share an MRN is upgraded without merging anything: the index waits,
and the start-up names the rows to resolve."""

from __future__ import annotations

from typing import Any

from chartkeep.schema_admin.bootstrap import initialize
from tests.audit.helpers import run_sql
from tests.conftest import Api, row_count
from tests.policy.world import DATE


def patient(mrn: str) -> dict[str, Any]:
    return {"mrn": mrn, "fullName": "Ada", "dateOfBirth": DATE, "status": "active"}


async def test_a_second_patient_with_the_same_mrn_is_refused(api: Api, core: Any) -> None:
    r = await api.post("/classes/Patient", patient("M-1"), master=True)
    assert r.status_code == 201, r.text
    r = await api.post("/classes/Patient", patient("M-1"), master=True)
    assert (r.status_code, r.json()) == (400, {"code": 137, "error": "A duplicate value for a field with unique "
                                                                     "values was provided"})
    other = (await api.post("/classes/Patient", patient("M-2"), master=True)).json()["objectId"]
    r = await api.put(f"/classes/Patient/{other}", {"mrn": "M-1"}, master=True)
    assert r.json()["code"] == 137
    assert await row_count(core, "Patient") == 2


async def test_existing_duplicates_are_reported_never_merged(api: Api, core: Any) -> None:
    await run_sql(core, 'DROP INDEX "Patient_unique_mrn"')  # a database from before the index
    ids = [(await api.post("/classes/Patient", patient("M-7"), master=True)).json()["objectId"] for _ in range(2)]
    await api.post("/classes/Patient", patient("M-8"), master=True)

    await initialize(core)
    [problem] = core.start_up_problems
    assert problem.startswith(f"Patient rows {ids[0]}, {ids[1]} share 'M-7': the unique index Patient_unique_mrn "
                              "is not created until they are resolved by hand")
    assert await row_count(core, "Patient") == 3  # nothing merged, nothing deleted
    r = await api.post("/classes/Patient", patient("M-7"), master=True)
    assert r.status_code == 201  # not enforced while the duplicates stand: reported at every start
    third = r.json()["objectId"]
    await initialize(core)
    assert ids[0] in core.start_up_problems[0] and third in core.start_up_problems[0]

    for object_id, mrn in ((ids[1], "M-7b"), (third, "M-7c")):
        r = await api.put(f"/classes/Patient/{object_id}", {"mrn": mrn}, master=True)
        assert r.status_code == 200, r.text
    await initialize(core)
    assert core.start_up_problems == []
    r = await api.post("/classes/Patient", patient("M-7"), master=True)
    assert r.json()["code"] == 137
