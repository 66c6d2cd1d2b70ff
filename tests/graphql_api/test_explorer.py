"""The GraphiQL explorer page and its files, served by this server with SRI and a strict CSP.

(In a real browser with the outside network blocked: test_explorer_browser.py.)
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from chartkeep.api.graphql.explorer import INSTALL, PACKAGE_FILES, status
from tests.conftest import APP_ID, Api


def fake_packages(root: Path) -> Path:
    """A node_modules holding the four files the explorer serves (their content does not matter here)."""
    for rel, _ in PACKAGE_FILES.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"/* {rel} */\n")
    return root


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_page_and_files_come_from_this_server(api: Api, core: Any, tmp_path: Path) -> None:
    core.settings.graphql_explorer_dir = str(fake_packages(tmp_path / "node_modules"))
    r = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert APP_ID in r.text and "test-master" not in r.text
    assert not re.search(r'https?:|="//', r.text), "a URL of another host"
    csp = r.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", csp).group(1)  # type: ignore[union-attr]
    assert "script-src 'self';" in csp and f"style-src 'self' 'nonce-{nonce}';" in csp
    assert "connect-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    assert f'"nonce": "{nonce}"' in r.text
    # nothing inline runs: every script is a file of this server, with its integrity hash
    scripts = re.findall(r"<script([^>]*)>", r.text)
    assert [s for s in scripts if "src=" not in s] == [' type="application/json" id="explorer-config"']
    tags = re.findall(r'(?:src|href)="(/graphql/assets/[^"]+)" integrity="([^"]+)"', r.text)
    assert {t[0].split("?")[0].rsplit("/", 1)[1] for t in tags} == {*PACKAGE_FILES, "explorer.js", "explorer.css"}
    for url, integrity in tags:
        asset = await api.client.get(url.replace("&amp;", "&"))
        assert asset.status_code == 200 and sri(asset.content) == integrity, url
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.headers["content-type"].startswith("text/css" if url.split("?")[0].endswith(".css")
                                                        else "text/javascript")
    assert (await api.client.get("/graphql/assets/package.json")).status_code == 404
    assert (await api.client.get("/graphql/assets/..%2F..%2Fpyproject.toml")).status_code == 404
    # a new nonce for every page
    again = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert again.headers["content-security-policy"] != csp


async def test_without_the_packages_the_page_says_how_to_install_them(api: Api, core: Any, tmp_path: Path) -> None:
    core.settings.graphql_explorer_dir = str(tmp_path / "nowhere")
    r = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 503 and INSTALL in r.text and "Loading the explorer" not in r.text
    assert status(core.settings) == f"explorer files not installed: {INSTALL}"
    assert (await api.client.get("/graphql/assets/graphiql.min.js")).status_code == 404


async def test_production_serves_no_explorer(api: Api, core: Any, tmp_path: Path) -> None:
    core.settings.graphql_explorer_dir = str(fake_packages(tmp_path / "node_modules"))
    assert status(core.settings) == "GraphiQL explorer: open it in a browser"
    core.settings.production = True
    assert status(core.settings) == "explorer off in production mode"
    r = await api.client.get("/graphql", headers={"Accept": "text/html", "X-Parse-Application-Id": APP_ID})
    assert r.status_code == 400 and "graphiql" not in r.text
    assert r.json() == {"errors": [{"message": "Must provide a query string.", "extensions": {"code": 107}}]}
    assert (await api.client.get("/graphql/assets/graphiql.min.js")).status_code == 404
