"""What the dashboard tests run against: a seeded ``chartkeep serve``, ``parse-dashboard --config``
in front of it with one dashboard user, and Chromium (tests/browser.py) allowed to reach only those
two origins. ``dashboard(tmp_path, *flags)`` starts all three and stops them afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.browser import Page, chromium
from tests.conftest import require_service
from tests.processes import (
    MASTER,
    ROOT,
    HttpApi,
    answering,
    free_port,
    healthy,
    http_api,
    serve,
    stop,
    unique_app_id,
)

HERE = Path(__file__).resolve().parent
DASHBOARD = HERE / "node_modules" / "parse-dashboard" / "bin" / "parse-dashboard"
SHOTS = Path(os.environ.get("CHARTKEEP_TEST_SCREENSHOTS") or HERE / "screenshots")
DASHBOARD_USER, DASHBOARD_PASS = "admin", "dashboard-pass"


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


@dataclass
class Dashboard:
    """A seeded Chartkeep, Parse Dashboard pointed at it, and Chromium on the dashboard's login page."""

    page: Page
    api: HttpApi
    origin: str  # the dashboard's

    @property
    def app(self) -> str:
        return f"{self.origin}/apps/Chartkeep"


@asynccontextmanager
async def dashboard(tmp_path: Path, *flags: str) -> AsyncIterator[Dashboard]:
    """The three of them; ``flags`` go to ``chartkeep serve``."""
    _dashboard_installed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    app_id = unique_app_id()
    db_url = f"sqlite:///{tmp_path}/dash.db"
    _seed(tmp_path, app_id, db_url)
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    # the dashboard's page sends the master key from its own origin: the admin lists it
    with serve(tmp_path, "dash", "--database-url", db_url, "--master-key-origins", origin, *flags, app_id=app_id,
               redis_url=None) as served:
        await healthy(served)
        api = http_api(served, app_id)
        config = tmp_path / "dashboard-config.json"
        config.write_text(json.dumps({
            "apps": [{"serverURL": f"http://{served.host}/parse", "graphQLServerURL": f"http://{served.host}/graphql",
                      "appId": app_id, "masterKey": MASTER, "appName": "Chartkeep"}],
            "users": [{"user": DASHBOARD_USER, "pass": DASHBOARD_PASS}],
        }))
        log = open(tmp_path / "dashboard.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(["node", str(DASHBOARD), "--config", str(config), "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
        try:
            await answering(f"{origin}/login", proc, tmp_path / "dashboard.log", name="Parse Dashboard")
            async with chromium(tmp_path, (origin, f"http://{served.host}")) as page:
                yield Dashboard(page, api, origin)
        finally:
            stop(proc)
            log.close()
            await api.client.aclose()
