"""The GraphiQL explorer in a real browser with no internet: it renders and runs a query.

A real ``chartkeep serve`` and a headless Chromium (tests/browser.py) whose every request outside
that server is refused. The explorer must leave "Loading the explorer…", show GraphiQL, run a query
typed into its editor through its run button, and the page must ask nothing of the outside world
and break none of its own Content-Security-Policy (Chromium reports a refused inline style or
script as a console error, which fails the test).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

from chartkeep.api.graphql.explorer import INSTALL, PACKAGE_FILES
from tests.browser import chromium
from tests.conftest import require_service
from tests.processes import ROOT, healthy, serve, unique_app_id

EXPLORER = ROOT / "explorer"
SHOTS = os.environ.get("CHARTKEEP_TEST_SCREENSHOTS")  # a folder: keep a screenshot of the explorer


def _explorer_packages() -> None:
    """The npm packages the explorer is served from: installed from the lockfile when npm is here."""
    if all((EXPLORER / "node_modules" / rel).is_file() for rel, _ in PACKAGE_FILES.values()):
        return
    if shutil.which("npm") is None:
        require_service(f"the explorer's npm packages are not installed and npm is missing ({INSTALL})")
    subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=EXPLORER, check=True, timeout=600)


async def test_explorer_renders_and_runs_a_query_offline(tmp_path: Path) -> None:
    _explorer_packages()
    with serve(tmp_path, "explorer", "--database-url", f"sqlite:///{tmp_path}/explorer.db",
               app_id=unique_app_id(), redis_url=None) as served:
        await healthy(served)
        origin = f"http://{served.host}"
        async with chromium(tmp_path, origin) as page:
            await page.goto(f"{origin}/graphql")
            await page.wait_for("!!document.querySelector('.graphiql-container .graphiql-query-editor .CodeMirror')")
            assert "Loading the explorer" not in await page.evaluate("document.body.innerText")
            # type a query into the editor and press the run button, as a person would
            await page.evaluate("document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
                                ".setValue('{ health }')")
            await page.evaluate("document.querySelector('button.graphiql-execute-button').click()")
            result = await page.wait_for(
                "(() => { const r = document.querySelector('.graphiql-response .CodeMirror');"
                " const v = r && r.CodeMirror.getValue(); return v && v.includes('health') ? v : null })()")
            assert '"health": true' in result, result
            # the schema came through introspection: the documentation explorer lists the root types
            await page.evaluate("document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()")
            await page.wait_for("document.querySelector('.graphiql-doc-explorer') && "
                                "document.querySelector('.graphiql-doc-explorer').innerText.includes('Query')")
            # a dialog: GraphiQL adds a <style> element, allowed by the page's CSP nonce alone
            await page.evaluate("document.querySelector('[aria-label=\"Open settings dialog\"]').click()")
            await page.wait_for("[...document.querySelectorAll('style')].some(s => s.nonce) && "
                                "!!document.querySelector('[role=dialog]')")
            # every request had the application id (the schema's introspection too) and stayed here
            posts = [r for r in page.requests if r["method"] == "POST"]
            assert posts and all(r["headers"].get("X-Parse-Application-Id") for r in posts), posts
            if SHOTS:
                await page.screenshot(Path(SHOTS) / "graphiql-explorer.png")
            assert page.blocked == [], f"the explorer asked the outside world for {page.blocked}"
            assert page.problems == [], page.problems
            # and the outside world really is out of reach: a CDN is refused
            await page.goto("https://unpkg.com/graphiql/graphiql.min.js")
            for _ in range(100):
                if page.blocked:
                    break
                await asyncio.sleep(0.1)
            assert page.blocked == ["https://unpkg.com/graphiql/graphiql.min.js"], page.blocked
