"""Group: a practitioner's care-team panel, read and searched, and Group/{id}/$export of its members'
compartments — only the members and records the caller may read (outsider, patient, auditor)."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.clinical.helpers import draft
from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.fhir.test_export import ASYNC, auth, lines, run_export
from tests.policy.world import build_world


def members(group: dict[str, Any]) -> set[str]:
    return {m["entity"]["reference"] for m in group.get("member", [])}


async def test_a_panel_lists_the_charts_of_the_practitioners_care_teams(api: Api) -> None:
    w = await build_world(api)
    physician = w.users["physician"]["objectId"]
    charts = {f"Patient/{w.ids['Patient']}", f"Patient/bh-{w.ids['PatientProfile']}"}
    body = (await get(api, f"/Group/panel-{physician}", w.token("physician"))).json()
    assert body["type"] == "person" and body["actual"] is True
    assert body["managingEntity"] == {"reference": f"Practitioner/{physician}"}
    assert members(body) == charts and body["quantity"] == 2
    # the provider joined the profile's team through an appointment and is a member of the EHR chart
    provider = (await get(api, f"/Group/panel-{w.users['provider']['objectId']}", w.token("physician"))).json()
    assert members(provider) == charts
    # search: by id and by the practitioner; a Patient id or a non-staff user is no Group
    for query in (f"_id=panel-{physician}", f"managing-entity=Practitioner/{physician}", f"managing-entity={physician}"):
        bundle = (await get(api, f"/Group?{query}", w.token("nurse"))).json()
        assert ids(bundle) == [f"panel-{physician}"], query
        assert members(bundle["entry"][0]["resource"]) == charts
    issue(await get(api, f"/Group/{w.ids['Patient']}", w.token("physician")), 404, "not-found")
    issue(await get(api, f"/Group/panel-{w.users['patient']['objectId']}", w.token("physician")), 404, "not-found")
    issue(await get(api, "/Group?member=x", w.token("physician")), 400, "invalid")
    # an outsider's own panel is empty
    outsider = (await get(api, f"/Group/panel-{w.users['outsider']['objectId']}", w.token("physician"))).json()
    assert "member" not in outsider and outsider["quantity"] == 0


async def test_a_panel_names_only_the_patients_the_caller_may_read(api: Api, core: Any) -> None:
    w = await build_world(api)
    panel = f"/Group/panel-{w.users['physician']['objectId']}"
    for who in ("outsider", "auditor", "patient"):
        r = await get(api, panel, w.token(who))
        if r.status_code == 200:
            found = members(r.json())
            # the patient account reads its own profile and nothing of the EHR chart
            assert found == ({f"Patient/bh-{w.ids['PatientProfile']}"} if who == "patient" else set()), who
            assert r.json()["quantity"] == len(found)
        else:
            issue(r, 404, "not-found")
    before = await head(core)
    await get(api, panel, w.token("outsider"))
    assert await entries_after(core, before) == []  # nothing of a chart named to the outsider


async def test_group_export_of_the_members_compartments(api: Api) -> None:
    w = await build_world(api)
    psych = (await draft(w, "physician", noteType="psychotherapy"))["note"]["objectId"]
    path = f"/Group/panel-{w.users['physician']['objectId']}/$export"
    token = w.token("physician")
    _, manifest = await run_export(api, token, path)
    assert manifest["request"].endswith(path)
    files = {o["type"]: o for o in manifest["output"]}
    assert "Practitioner" not in files and "Group" not in files
    assert {p["id"] for p in await lines(api, token, files["Patient"]["url"])} == {
        w.ids["Patient"], f"bh-{w.ids['PatientProfile']}"}
    assert {w.ids["MedicalNote"], psych} <= {d["id"] for d in await lines(api, token, files["DocumentReference"]["url"])}
    assert {"Encounter", "Flag", "Appointment"} <= set(files)
    # the panel holds every chart the physician reads: the same files as Patient/$export
    _, everyone = await run_export(api, token, "/Patient/$export")
    assert {(o["type"], o["count"]) for o in everyone["output"]} == {(o["type"], o["count"]) for o in manifest["output"]}
    for o in manifest["output"]:
        assert len(await lines(api, token, o["url"])) == o["count"]
    # the nurse exports the same panel without the psychotherapy note
    _, nurse = await run_export(api, w.token("nurse"), path, _type="DocumentReference")
    [docs] = nurse["output"]
    assert psych not in {d["id"] for d in await lines(api, w.token("nurse"), docs["url"])}
    # a panel without the caller's own charts: nothing of another chart goes out
    _, other = await run_export(api, token, f"/Group/panel-{w.users['outsider']['objectId']}/$export")
    assert other["output"] == []
    for who in ("outsider", "auditor"):
        r = await api.client.get(f"/fhir/R4{path}", headers={**auth(w.token(who)), **ASYNC})
        if r.status_code == 202:
            _, theirs = await run_export(api, w.token(who), path)
            assert theirs["output"] == [], who
        else:
            issue(r, 404, "not-found")


async def test_group_export_kickoff_errors(api: Api) -> None:
    w = await build_world(api)
    token = w.token("physician")
    panel = f"/fhir/R4/Group/panel-{w.users['physician']['objectId']}/$export"
    issue(await api.client.get(panel, headers=auth(token)), 400, "invalid", "Prefer: respond-async")
    r = await api.client.get(panel, params={"_type": "Practitioner"}, headers={**auth(token), **ASYNC})
    issue(r, 400, "invalid", "Practitioner")
    issue(await api.client.get("/fhir/R4/Group/panel-nobody/$export", headers={**auth(token), **ASYNC}), 404, "not-found")
    issue(await api.client.get(panel, headers=ASYNC), 401, "login")


async def test_the_capability_statement_lists_group_and_its_export(api: Api) -> None:
    body = (await get(api, "/metadata")).json()
    [group] = [r for r in body["rest"][0]["resource"] if r["type"] == "Group"]
    assert [o["name"] for o in group["operation"]] == ["export"]
    assert {p["name"] for p in group["searchParam"]} == {"_id", "_lastUpdated", "managing-entity"}
