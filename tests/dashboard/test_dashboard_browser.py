"""Parse Dashboard (the npm package, pinned in tests/dashboard/package.json) against a seeded
Chartkeep, in a real headless Chromium driven as a person would: typed keys and mouse clicks.

A seeded ``chartkeep serve``, ``parse-dashboard --config`` with one dashboard user, and Chromium
(tests/browser.py) allowed to reach only those two origins. The dashboard logs in, lists
``Patient`` with the seeded rows, opens ``MedicalNote``, and an edit of a signed note's title is
refused by the clinical rule with the rule's message shown in the dashboard; the note is unchanged
and the ledger holds the refused update. The Jobs page answers from ``/cloud_code/jobs``.
Screenshots land in tests/dashboard/screenshots/ (ignored by git) or $CHARTKEEP_TEST_SCREENSHOTS.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx

from tests.browser import Page, chromium
from tests.conftest import require_service
from tests.processes import MASTER, ROOT, free_port, healthy, http_api, serve, unique_app_id

HERE = Path(__file__).resolve().parent
DASHBOARD = HERE / "node_modules" / "parse-dashboard" / "bin" / "parse-dashboard"
SHOTS = Path(os.environ.get("CHARTKEEP_TEST_SCREENSHOTS") or HERE / "screenshots")
DASHBOARD_USER, DASHBOARD_PASS = "admin", "dashboard-pass"
RULE = "A signed MedicalNote is never edited in place: amend it with a new version (amendNote)."
GOOGLE_FONTS = "https://fonts.googleapis.com/"  # the dashboard's stylesheet asks for them; refused here


def _dashboard_installed() -> None:
    if shutil.which("node") is None:
        require_service("node is not installed: Parse Dashboard cannot run")
    if not DASHBOARD.is_file():
        if shutil.which("npm") is None:
            require_service("Parse Dashboard is not installed and npm is missing (cd tests/dashboard && npm ci)")
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)


def _seed(tmp: Path, app_id: str, db_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "chartkeep", "seed", "--patients", "3", "--bh-patients", "1",
                    "--database-url", db_url, "--app-id", app_id, "--master-key", MASTER,
                    "--data-dir", str(tmp / "dash-data")], cwd=ROOT, env=env, check=True, timeout=120,
                   capture_output=True)


async def _click(page: Page, element: str, clicks: int = 1) -> None:
    """A real mouse click (``clicks`` 2: a double click) in the middle of ``element`` (a JS expression)."""
    x, y = await page.evaluate(
        f"(() => {{ const e = {element}; e.scrollIntoView({{block: 'center', inline: 'center'}});"
        " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    await page.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    for n in range(1, clicks + 1):
        for kind in ("mousePressed", "mouseReleased"):
            await page.send("Input.dispatchMouseEvent",
                            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": n})


async def _type(page: Page, text: str) -> None:
    await page.send("Input.insertText", {"text": text})


async def _enter(page: Page) -> None:
    for kind in ("keyDown", "keyUp"):
        await page.send("Input.dispatchKeyEvent", {"type": kind, "windowsVirtualKeyCode": 13, "key": "Enter",
                                                   "code": "Enter", **({"text": "\r"} if kind == "keyDown" else {})})


def _text(needle: str) -> str:
    return f"(document.body && document.body.innerText.includes({json.dumps(needle)}))"


def _cell(object_id: str, text: str) -> str:
    """The data browser's cell showing ``text`` in the row of ``object_id``."""
    row = f"[...document.querySelectorAll('span')].find(e => e.innerText === {json.dumps(object_id)}).parentElement"
    return f"[...{row}.children].find(c => c.innerText === {json.dumps(text)})"


async def test_dashboard_browses_patients_and_shows_a_rule_refusal(tmp_path: Path) -> None:
    _dashboard_installed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    app_id = unique_app_id()
    db_url = f"sqlite:///{tmp_path}/dash.db"
    _seed(tmp_path, app_id, db_url)
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    # the dashboard's page sends the master key from its own origin: the admin lists it
    with serve(tmp_path, "dash", "--database-url", db_url, "--master-key-origins", origin, app_id=app_id,
               redis_url=None) as served:
        await healthy(served)
        api = http_api(served, app_id)
        patients = (await api.get("/classes/Patient", master=True)).json()["results"]
        signed_notes = (await api.get("/classes/MedicalNote", master=True,
                                      params={"where": json.dumps({"status": "signed"})})).json()["results"]
        signed = signed_notes[0]
        assert (await api.put("/config", {"params": {"clinicName": "Riverside Clinic"}}, master=True)).json() == {
            "result": True}
        config = tmp_path / "dashboard-config.json"
        config.write_text(json.dumps({
            "apps": [{"serverURL": f"http://{served.host}/parse", "appId": app_id, "masterKey": MASTER,
                      "appName": "Chartkeep"}],
            "users": [{"user": DASHBOARD_USER, "pass": DASHBOARD_PASS}],
        }))
        log = open(tmp_path / "dashboard.log", "wb")  # noqa: SIM115 - closed below
        dashboard = subprocess.Popen(["node", str(DASHBOARD), "--config", str(config), "--host", "127.0.0.1",
                                      "--port", str(port)], cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
        try:
            async with httpx.AsyncClient(trust_env=False) as http:
                for _ in range(300):
                    try:
                        if (await http.get(f"{origin}/login")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
            async with chromium(tmp_path, (origin, f"http://{served.host}")) as page:
                # the dashboard's own login, typed in
                await page.goto(f"{origin}/apps/Chartkeep/browser/Patient")
                await page.wait_for("!!document.querySelector('input[name=password]')")
                await _click(page, "document.querySelector('input[name=username]')")
                await _type(page, DASHBOARD_USER)
                await _click(page, "document.querySelector('input[name=password]')")
                await _type(page, DASHBOARD_PASS)
                await page.screenshot(SHOTS / "1-login.png")
                await _click(page, "document.querySelector('input[type=submit]')")
                # Patient: every seeded row, read through /schemas and /classes with the master key
                for patient in patients:
                    await page.wait_for(_text(patient["mrn"]))
                assert await page.evaluate(_text(f"{len(patients)} objects"))
                await page.screenshot(SHOTS / "2-patients.png")
                # open MedicalNote from the sidebar; the signed note's row is there
                await _click(page, "[...document.querySelectorAll('a')]"
                                   ".find(a => a.innerText.trim().startsWith('MedicalNote'))")
                await page.wait_for(f"location.pathname.endsWith('/browser/MedicalNote') && {_text(signed['objectId'])}")
                # edit its title in place: the clinical rule refuses, and the dashboard shows its message
                await _click(page, _cell(signed["objectId"], signed["title"]), clicks=2)
                await page.wait_for("document.activeElement && document.activeElement.tagName === 'TEXTAREA'")
                await page.evaluate("document.activeElement.select()")
                await _type(page, "Edited in the dashboard")
                await _enter(page)
                await page.wait_for(_text(RULE))
                await page.screenshot(SHOTS / "3-signed-note-edit-refused.png")
                # a filter, as the dashboard keeps it in its URL: only the signed notes
                where = json.dumps([{"field": "status", "constraint": "eq", "compareTo": "signed"}])
                await page.goto(f"{origin}/apps/Chartkeep/browser/MedicalNote?filters={quote(where)}")
                await page.wait_for(_text(f"MedicalNote{len(signed_notes)} objects"))
                await page.screenshot(SHOTS / "3b-signed-notes-filtered.png")
                # roles (a care team is one), and Parse Config
                await page.goto(f"{origin}/apps/Chartkeep/browser/_Role")
                await page.wait_for(_text(f"careTeam_Patient_{patients[0]['objectId']}"))
                await page.goto(f"{origin}/apps/Chartkeep/config")
                await page.wait_for(_text("clinicName") + " && " + _text("Riverside Clinic"))
                await page.screenshot(SHOTS / "3c-config.png")
                # the jobs page reads /cloud_code/jobs and /cloud_code/jobs/data without an error
                await _click(page, "[...document.querySelectorAll('a')].find(a => a.innerText.trim() === 'Jobs')")
                await page.wait_for(_text("Define Jobs on parse-server"))
                await page.screenshot(SHOTS / "4-jobs.png")
                # nothing left this machine but the dashboard's web fonts, which were refused; the one
                # failed request is the refused save (400, Parse's {code, error})
                assert all(url.startswith(GOOGLE_FONTS) for url in page.blocked), page.blocked
                unexpected = [p for p in page.problems if "ERR_BLOCKED_BY_CLIENT" not in p]
                assert unexpected == ["network: Failed to load resource: the server responded with a status of "
                                      "400 (Bad Request)"], unexpected
        finally:
            dashboard.send_signal(signal.SIGTERM)
            try:
                dashboard.wait(10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
                dashboard.wait(10)
            log.close()
        # the note is unchanged, and the ledger names the refused update (made with the master key)
        note = (await api.get(f"/classes/MedicalNote/{signed['objectId']}", master=True)).json()
        assert (note["title"], note["status"]) == (signed["title"], "signed")
        refused = (await api.get("/classes/AuditEvent", master=True, params={
            "where": json.dumps({"targetId": signed["objectId"], "outcome": "failure"})})).json()["results"]
        assert [(e["eventType"], e["details"], e["metadata"]) for e in refused] == [
            ("update", f"142: {RULE}", {"masterKey": True})]
        await api.client.aclose()
