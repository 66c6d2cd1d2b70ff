"""Parse Dashboard (the npm package, pinned in tests/dashboard/package.json) against a seeded
Chartkeep, in a real headless Chromium driven as a person would: typed keys and mouse clicks.

A seeded ``chartkeep serve``, ``parse-dashboard --config`` with one dashboard user, and Chromium
(tests/browser.py) allowed to reach only those two origins. The dashboard logs in, lists
``Patient`` with the seeded rows, opens ``MedicalNote``, and an edit of a signed note's title is
refused by the clinical rule with the rule's message shown in the dashboard; the note is unchanged
and the ledger holds the refused update. The Jobs page answers from ``/cloud_code/jobs``.

A second dashboard, on a server with ``dashboard_cloud.py`` loaded, drives the admin pages: a column
added to ``Patient`` and deleted again, the CLP editor letting signed-in users read ``Patient`` (seen
over ``GET /schemas``), a role's users and another role's child roles, a Config parameter created
and edited, the Cloud Code job run from the Jobs page with its ``_JobStatus`` on Job Status, and the
API console's GET with the master key and a PUT the clinical rule refuses, and a GraphQL console query.
Screenshots land in tests/dashboard/screenshots/ (ignored by git) or $CHARTKEEP_TEST_SCREENSHOTS.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.dashboard.pages import button, cell, choose, click, enter, leaf, leaves, log_in, shows, type_text
from tests.dashboard.served import HERE, SHOTS, dashboard
from tests.processes import HttpApi

RULE = "A signed MedicalNote is never edited in place: amend it with a new version (amendNote)."
GOOGLE_FONTS = "https://fonts.googleapis.com/"  # the dashboard's stylesheet asks for them; refused here
CLOUD_FILE = HERE / "dashboard_cloud.py"


async def test_dashboard_browses_patients_and_shows_a_rule_refusal(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as dash:
        page, api, origin = dash.page, dash.api, dash.origin
        patients = (await api.get("/classes/Patient", master=True)).json()["results"]
        signed_notes = (await api.get("/classes/MedicalNote", master=True,
                                      params={"where": json.dumps({"status": "signed"})})).json()["results"]
        signed = signed_notes[0]
        assert (await api.put("/config", {"params": {"clinicName": "Riverside Clinic"}}, master=True)).json() == {
            "result": True}
        await log_in(dash, "browser/Patient", "1-login.png")
        # Patient: every seeded row, read through /schemas and /classes with the master key
        for patient in patients:
            await page.wait_for(shows(patient["mrn"]))
        assert await page.evaluate(shows(f"{len(patients)} objects"))
        await page.screenshot(SHOTS / "2-patients.png")
        # open MedicalNote from the sidebar; the signed note's row is there
        await click(page, "[...document.querySelectorAll('a')]"
                           ".find(a => a.innerText.trim().startsWith('MedicalNote'))")
        await page.wait_for(f"location.pathname.endsWith('/browser/MedicalNote') && {shows(signed['objectId'])}")
        # edit its title in place: the clinical rule refuses, and the dashboard shows its message
        await click(page, cell(signed["objectId"], signed["title"]), clicks=2)
        await page.wait_for("document.activeElement && document.activeElement.tagName === 'TEXTAREA'")
        await page.evaluate("document.activeElement.select()")
        await type_text(page, "Edited in the dashboard")
        await enter(page)
        await page.wait_for(shows(RULE))
        await page.screenshot(SHOTS / "3-signed-note-edit-refused.png")
        # a filter, as the dashboard keeps it in its URL: only the signed notes
        where = json.dumps([{"field": "status", "constraint": "eq", "compareTo": "signed"}])
        await page.goto(f"{origin}/apps/Chartkeep/browser/MedicalNote?filters={quote(where)}")
        await page.wait_for(shows(f"MedicalNote{len(signed_notes)} objects"))
        await page.screenshot(SHOTS / "3b-signed-notes-filtered.png")
        # roles (a care team is one), and Parse Config
        await page.goto(f"{origin}/apps/Chartkeep/browser/_Role")
        await page.wait_for(shows(f"careTeam_Patient_{patients[0]['objectId']}"))
        await page.goto(f"{origin}/apps/Chartkeep/config")
        await page.wait_for(shows("clinicName") + " && " + shows("Riverside Clinic"))
        await page.screenshot(SHOTS / "3c-config.png")
        # the jobs page reads /cloud_code/jobs and /cloud_code/jobs/data without an error
        await click(page, "[...document.querySelectorAll('a')].find(a => a.innerText.trim() === 'Jobs')")
        await page.wait_for(shows("Define Jobs on parse-server"))
        await page.screenshot(SHOTS / "4-jobs.png")
        await _only_the_refused_save_failed(page, api, signed)


async def test_dashboard_admin_pages_schema_clp_roles_config_jobs_console(tmp_path: Path) -> None:
    """The schema and CLP editors, Roles with their relations, Config, a Cloud Code job run from the Jobs
    page, and the API console, each driven in the browser and checked over REST afterwards."""
    async with dashboard(tmp_path, "--cloud", str(CLOUD_FILE)) as dash:
        page, api = dash.page, dash.api
        patients = (await api.get("/classes/Patient", master=True)).json()["results"]
        signed_notes = (await api.get("/classes/MedicalNote", master=True,
                                      params={"where": json.dumps({"status": "signed"})})).json()["results"]
        signed = signed_notes[0]
        roles = (await api.get("/classes/_Role", master=True, params={"limit": 1000})).json()["results"]
        members = {r["objectId"]: await _related(api, "_User", r["objectId"], "users") for r in roles}
        children = {r["objectId"]: await _related(api, "_Role", r["objectId"], "roles") for r in roles}
        with_users = next(r for r in roles if members[r["objectId"]])
        with_roles = next(r for r in roles if children[r["objectId"]])
        await log_in(dash, "browser/Patient")
        await page.wait_for(shows(patients[0]["mrn"]))

        # schema editor: add a column to Patient, then delete it
        await click(page, leaf("Add a new column"))
        await page.wait_for("!!document.querySelector('input[placeholder^=\"Give it\"]')")
        await click(page, "document.querySelector('input[placeholder^=\"Give it\"]')")
        await type_text(page, "preferredPharmacy")
        await page.wait_for("document.querySelector('input[placeholder^=\"Give it\"]').value === 'preferredPharmacy'"
                            f" && !{button('Add')}.disabled")
        await page.screenshot(SHOTS / "5-add-column.png")
        await click(page, button("Add"))
        await page.wait_for(shows("preferredPharmacy") + " && !document.querySelector('input[placeholder^=\"Give it\"]')")
        await _until(lambda: _field_is(api, "preferredPharmacy", "String"))
        await click(page, "[...document.querySelectorAll('a, span, div')].find(e => e.innerText.trim() === 'Edit'"
                           " && e.children.length <= 2 && e.getBoundingClientRect().y < 80)")
        await page.wait_for(f"!!{leaf('Delete a column')}")
        await click(page, leaf("Delete a column"))
        await page.wait_for(f"!!{leaf('Select a column')}")
        named = leaves("preferredPharmacy")
        shown = await page.evaluate(f"{named}.length")  # the column's header; an open dropdown adds its option
        await choose(page, leaf("Select a column"), f"{named}.length > {shown} && {named}.pop()",
                      f"!{leaf('Select a column')}")
        await page.screenshot(SHOTS / "6-delete-column.png")
        await click(page, button("Remove"))
        await page.wait_for("!" + shows("preferredPharmacy"))
        await _until(lambda: _field_is(api, "preferredPharmacy", None))

        # CLP editor: let every signed-in user read Patient; GET /schemas shows it
        before = (await _schema(api, "Patient"))["classLevelPermissions"]
        assert "requiresAuthentication" not in before["find"]
        await click(page, "[...document.querySelectorAll('a, span, div')].find(e => e.innerText.trim() === 'Security'"
                           " && e.children.length <= 2 && e.getBoundingClientRect().y < 80)")
        await page.wait_for(f"!!{leaf('Class Level Permissions')}")
        await click(page, leaf("Class Level Permissions"))
        authenticated = (f"(() => {{ let e = {leaf('Authenticated')}; "
                         "while (!e.innerText.includes('Add field')) e = e.parentElement; return e; })()")
        await page.wait_for(f"!!{leaf('Authenticated')}")
        await click(page, f"[...{authenticated}.querySelectorAll('span')]"
                           ".find(s => s.children.length === 0 && s.innerText === 'Read').nextElementSibling")
        await page.screenshot(SHOTS / "7-clp-editor.png")
        await click(page, button("Save CLP"))
        await page.wait_for(f"!{button('Save CLP')}")

        async def clp_saved() -> bool:
            clp = (await _schema(api, "Patient"))["classLevelPermissions"]
            return all(clp[op] == {**before[op], "requiresAuthentication": True} for op in ("get", "find", "count"))

        await _until(clp_saved)
        after = (await _schema(api, "Patient"))["classLevelPermissions"]
        assert {op: after[op] for op in after if op not in ("get", "find", "count")} == {
            op: before[op] for op in before if op not in ("get", "find", "count")}

        # Roles: open _Role, then a role's users and another's child roles
        await page.goto(f"{dash.app}/browser/_Role")
        await page.wait_for(shows(with_users["name"]) + " && " + shows(with_roles["name"]))
        await page.screenshot(SHOTS / "8-roles.png")
        for role, key, shown in ((with_users, "users", members[with_users["objectId"]]),
                                 (with_roles, "roles", children[with_roles["objectId"]])):
            await page.goto(f"{dash.app}/browser/_Role")
            await page.wait_for(shows(role["objectId"]))
            row = (f"[...document.querySelectorAll('span')].find(e => e.innerText === {json.dumps(role['objectId'])})"
                   ".parentElement")
            column = 0 if key == "users" else 1
            await click(page, f"[...{row}.querySelectorAll('span')]"
                               ".filter(e => e.children.length === 0 && e.innerText === 'View relation')"
                               f"[{column}].nextElementSibling")
            # exactly the related rows: each one's objectId, and their count
            await page.wait_for(f"location.pathname.endsWith('/browser/_Role/{role['objectId']}/{key}')"
                                f" && {shows(f'{len(shown)} objects')}"
                                + "".join(f" && {shows(related['objectId'])}" for related in shown))
            await page.screenshot(SHOTS / f"9-role-{key}.png")

        # Config: create a parameter, then edit it
        await page.goto(f"{dash.app}/config")
        await page.wait_for(f"!!{button('Create a parameter')}")
        await click(page, button("Create a parameter"))
        # the new parameter's modal opens with its name field focused
        await page.wait_for("!!document.querySelector('textarea') && document.activeElement.tagName === 'INPUT'")
        await type_text(page, "welcomeText")
        await page.wait_for("document.activeElement.value === 'welcomeText'")
        await click(page, "document.querySelector('textarea')")
        await type_text(page, "Welcome to Riverside")
        await page.wait_for(f"document.querySelector('textarea').value === 'Welcome to Riverside' && !{button('Create')}.disabled")
        await click(page, button("Create"))
        await page.wait_for(shows("welcomeText") + " && !document.querySelector('textarea')")
        await click(page, leaf("Welcome to Riverside", last=True))
        await page.wait_for("!!document.querySelector('textarea')")
        await click(page, "document.querySelector('textarea')")
        await page.evaluate("document.querySelector('textarea').select()")
        await type_text(page, "Welcome back")
        await page.wait_for(f"document.querySelector('textarea').value === 'Welcome back' && !{button('Save')}.disabled")
        await page.screenshot(SHOTS / "10-config-edit.png")
        await click(page, button("Save"))
        await page.wait_for(shows("Welcome back") + " && !document.querySelector('textarea')")
        assert (await api.get("/config", master=True)).json()["params"]["welcomeText"] == "Welcome back"

        # Jobs: run the deployed job now, then see its _JobStatus on the Job Status page
        await page.goto(f"{dash.app}/jobs/all")
        await page.wait_for(f"{shows('countPatients')} && !!{button('Run...')}")
        await click(page, button("Run..."))
        await page.wait_for(f"!!{button('Run')}")
        await click(page, button("Run"))
        await page.wait_for(shows("Success!"))
        await page.goto(f"{dash.app}/jobs/status")
        await page.wait_for(shows("countPatients") + " && " + shows(f"{len(patients)} patients")
                            + " && " + shows("SUCCEEDED"))
        await page.screenshot(SHOTS / "11-job-status.png")
        statuses = (await api.get("/classes/_JobStatus", master=True)).json()["results"]
        assert [(s["jobName"], s["status"], s["message"], s["params"]["jobName"]) for s in statuses] == [
            ("countPatients", "succeeded", f"{len(patients)} patients", "countPatients")]

        # API console: a GET with the master key, then a write the clinical rule refuses
        await page.goto(f"{dash.app}/api_console")
        endpoint = "document.querySelector('input[placeholder=\"classes/_User\"]')"
        await page.wait_for(f"!!{endpoint} && !!{button('Send Query')}")
        await click(page, endpoint)
        await type_text(page, "classes/Patient")
        await page.wait_for(f"{endpoint}.value === 'classes/Patient'")
        toggle = (f"{leaf('Use Master Key?')}.parentElement.parentElement.parentElement"
                  ".children[1].firstElementChild")
        off = await page.evaluate(f"{toggle}.outerHTML")
        await click(page, toggle)
        # the query goes out only once the toggle has turned on (a query sent before it is made
        # without the master key, and the patients' ACLs rightly hide them)
        await page.wait_for(f"{toggle}.outerHTML !== {json.dumps(off)} && !{button('Send Query')}.disabled")
        await click(page, button("Send Query"))
        await page.wait_for(" && ".join(shows(p["mrn"]) for p in patients))
        await page.screenshot(SHOTS / "12-console-get.png")
        await choose(page, leaf("GET"), leaf("PUT"), f"!{leaf('GET')} && !!{leaf('PUT')}")
        await click(page, endpoint)
        await page.evaluate(f"{endpoint}.select()")
        await type_text(page, f"classes/MedicalNote/{signed['objectId']}")
        await page.wait_for(f"{endpoint}.value === 'classes/MedicalNote/{signed['objectId']}'")
        await click(page, "document.querySelector('textarea')")
        await type_text(page, json.dumps({"title": "Edited in the console"}))
        await page.wait_for("document.querySelector('textarea').value.includes('Edited in the console')"
                            f" && !{button('Send Query')}.disabled")
        await click(page, button("Send Query"))
        await page.wait_for(shows('"code": 142') + " && " + shows(json.dumps(RULE)))
        await page.screenshot(SHOTS / "13-console-refused.png")

        # the GraphQL console (the app's graphQLServerURL): a query typed into GraphiQL and run
        await page.goto(f"{dash.app}/api_console/graphql")
        await page.wait_for("!!document.querySelector('.CodeMirror') && !!document.querySelector('.graphiql-execute-button')")
        await click(page, "document.querySelector('.CodeMirror')")
        for kind in ("keyDown", "keyUp"):  # Ctrl+A: the editor's welcome text is replaced
            await page.send("Input.dispatchKeyEvent", {"type": kind, "modifiers": 2, "key": "a", "code": "KeyA",
                                                       "windowsVirtualKeyCode": 65,
                                                       "commands": ["selectAll"] if kind == "keyDown" else []})
        await type_text(page, '{ medicalNotes(where: {status: {equalTo: "signed"}}) { count } }')
        editors = "[...document.querySelectorAll('.CodeMirror')].map(c => c.CodeMirror.getValue())"
        await page.wait_for(f"{editors}[0].startsWith('{{ medicalNotes')")
        await click(page, "document.querySelector('.graphiql-execute-button')")
        await page.wait_for(f"{editors}.some(v => v.includes('\"count\": {len(signed_notes)}'))")
        await page.screenshot(SHOTS / "14-graphql-console.png")

        await _only_the_refused_save_failed(page, api, signed)
        # every change made from the dashboard is in the ledger, with the master key named
        async def ledger(target_class: str) -> list[tuple[str, str, str, bool]]:
            found = (await api.get("/classes/AuditEvent", master=True, params={
                "where": json.dumps({"targetClass": target_class}), "order": "createdAt"})).json()["results"]
            return [(e["eventType"], e["targetId"], e["details"], e["metadata"]["masterKey"]) for e in found]

        assert await ledger("_SCHEMA") == [
            ("schema_change", "Patient", "fields added: preferredPharmacy", True),
            ("schema_change", "Patient", "fields deleted: preferredPharmacy", True),
            ("permission_change", "Patient", "classLevelPermissions", True)]
        assert [e[0] + ": " + e[2] for e in await ledger("_GlobalConfig")] == [
            "create: config parameters set: welcomeText", "update: config parameters set: welcomeText"]
        assert {(e[0], e[1], e[2]) for e in await ledger("_JobStatus")} == {
            ("create", statuses[0]["objectId"], "job countPatients started"),
            ("update", statuses[0]["objectId"], "job countPatients reported progress"),
            ("update", statuses[0]["objectId"], "job countPatients succeeded")}


# what the server saw, read over REST


async def _schema(api: HttpApi, class_name: str) -> dict:
    r = await api.get(f"/schemas/{class_name}", master=True)
    assert r.status_code == 200, r.text
    schema: dict = r.json()
    return schema


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Waits until ``check()`` answers true: the server side of a dashboard action, seen over REST."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, "the server never saw the dashboard's change"
        await asyncio.sleep(0.2)


async def _related(api: HttpApi, class_name: str, role_id: str, key: str) -> list[dict]:
    where = {"$relatedTo": {"object": {"__type": "Pointer", "className": "_Role", "objectId": role_id}, "key": key}}
    results: list[dict] = (await api.get(f"/classes/{class_name}", master=True,
                                         params={"where": json.dumps(where)})).json()["results"]
    return results


async def _field_is(api: HttpApi, field: str, type_: str | None) -> bool:
    """Patient's ``field`` has the type ``type_`` over GET /schemas (None: there is no such field)."""
    found = (await _schema(api, "Patient"))["fields"].get(field)
    return (found and found["type"]) == type_ if type_ else found is None


async def _only_the_refused_save_failed(page: Any, api: HttpApi, signed: dict[str, Any]) -> None:
    """Nothing left this machine but the dashboard's web fonts, which were refused; the one failed
    request is the refused save of the signed note (400, Parse's {code, error}); the note is
    unchanged, and the ledger names the refused update (made with the master key)."""
    assert all(url.startswith(GOOGLE_FONTS) for url in page.blocked), page.blocked
    unexpected = [p for p in page.problems if "ERR_BLOCKED_BY_CLIENT" not in p]
    assert unexpected == ["network: Failed to load resource: the server responded with a status of "
                          "400 (Bad Request)"], unexpected
    note = (await api.get(f"/classes/MedicalNote/{signed['objectId']}", master=True)).json()
    assert (note["title"], note["status"]) == (signed["title"], "signed")
    refused = (await api.get("/classes/AuditEvent", master=True, params={
        "where": json.dumps({"targetId": signed["objectId"], "outcome": "failure"})})).json()["results"]
    assert [(e["eventType"], e["details"], e["metadata"]) for e in refused] == [
        ("update", f"142: {RULE}", {"masterKey": True})]
