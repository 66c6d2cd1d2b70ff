"""The GraphiQL explorer: the page at GET graphql_path (outside production mode) and its files.

Every file the page loads comes from this server, never a CDN, so the explorer works on a network
without the internet. GraphiQL, React and ReactDOM are the npm packages pinned in
``explorer/package-lock.json`` (installed by ``npm ci --prefix explorer``, which
``scripts/serve.sh`` and ``scripts/test.sh`` run), read from ``graphql_explorer_dir``: by default
the checkout's ``explorer/node_modules``. No Python package ships a current GraphiQL build
(docs/graphql.md, "The explorer"), and a copy kept in this repository would age unseen.

Each file is served under ``<graphql_path>/assets/`` with a Subresource Integrity hash
(SHA-384, computed once from the bytes this server serves), and the page carries a
Content-Security-Policy that lets scripts, styles and requests come from this server only.
The page's own script and style are files too (``explorer.js``/``explorer.css``): nothing inline
runs, and the settings the script needs travel in a JSON data block.

The page is pre-filled with the application id header only; a session token or the master key is
typed in by the person using it and never leaves their browser except to this server.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from chartkeep.settings import Settings

# Served name → (path under the npm packages' node_modules, content type).
PACKAGE_FILES = {
    "react.production.min.js": ("react/umd/react.production.min.js", "text/javascript"),
    "react-dom.production.min.js": ("react-dom/umd/react-dom.production.min.js", "text/javascript"),
    "graphiql.min.js": ("graphiql/graphiql.min.js", "text/javascript"),
    "graphiql.min.css": ("graphiql/graphiql.min.css", "text/css"),
}
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "explorer.js")
STYLES = ("graphiql.min.css", "explorer.css")
INSTALL = "npm ci --prefix explorer"

# What GraphiQL's UMD build needs, and no more: its editors style their elements through the DOM
# (allowed), it fetches only the GraphQL URL (this server), and its dialogs add one <style> element
# (react-remove-scroll), which carries the page's nonce (``__webpack_nonce__``, set by explorer.js).
CSP = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'nonce-{nonce}'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))


def page_headers(nonce: str) -> dict[str, str]:
    return {"Content-Security-Policy": CSP.format(nonce=nonce), "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


BOOTSTRAP = """\
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  window.__webpack_nonce__ = config.nonce;  // the <style> GraphiQL's dialogs add carries it (CSP)
  const root = document.getElementById("graphiql");
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      // the application id on every request, the schema's introspection included (it may run
      // before the headers pane is read); the pane adds a session token or the master key
      fetcher: GraphiQL.createFetcher({ url: config.url, headers: config.appHeaders }),
      defaultHeaders: config.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    })
  );
})();
"""
STYLE = "body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }\n"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chartkeep GraphQL</title>
<link rel="icon" href="data:,">
{styles}
</head>
<body>
<div id="graphiql">Loading the explorer…</div>
<script type="application/json" id="explorer-config">{config}</script>
{scripts}
</body>
</html>
"""

MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Chartkeep GraphQL</title></head>
<body>
<h1>The GraphQL explorer's files are not installed on this server</h1>
<p>GraphiQL is served from this server's own files: install them in the Chartkeep checkout with
<code>{install}</code> (<code>scripts/serve.sh</code> does it when npm is present), or point the
<code>graphql_explorer_dir</code> setting at a <code>node_modules</code> folder that holds them
(looked for: <code>{where}</code>).</p>
<p>The GraphQL API itself works: POST queries to <code>{url}</code>.</p>
</body>
</html>
"""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    integrity: str  # the SRI value, "sha384-…"

    @property
    def version(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:12]


def _asset(body: bytes, content_type: str) -> Asset:
    digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
    return Asset(body, f"{content_type}; charset=utf-8", f"sha384-{digest}")


def default_dir() -> Path:
    """``explorer/node_modules`` of the checkout this package runs from (``pip install -e .``)."""
    return Path(__file__).resolve().parents[4] / "explorer" / "node_modules"


def assets_dir(settings: Settings) -> Path:
    return Path(settings.graphql_explorer_dir) if settings.graphql_explorer_dir else default_dir()


def missing_files(settings: Settings) -> list[str]:
    where = assets_dir(settings)
    return [rel for rel, _ in PACKAGE_FILES.values() if not (where / rel).is_file()]


def status(settings: Settings) -> str:
    """The explorer's state in a few words, for the start-up banner."""
    if settings.production:
        return "explorer off in production mode"
    if missing_files(settings):
        return f"explorer files not installed: {INSTALL}"
    return "GraphiQL explorer: open it in a browser"


class Explorer:
    """The page and its files for one server; files are read and hashed once, on first use."""

    def __init__(self, settings: Settings, path: str) -> None:
        self.settings = settings
        self.path = path
        self._assets: dict[str, Asset] | None = None

    def assets(self) -> dict[str, Asset] | None:
        """Every file by served name, or None while the npm packages are not installed."""
        if self._assets is None:
            where = assets_dir(self.settings)
            if missing_files(self.settings):
                return None
            found = {name: _asset((where / rel).read_bytes(), ctype) for name, (rel, ctype) in PACKAGE_FILES.items()}
            found["explorer.js"] = _asset(BOOTSTRAP.encode(), "text/javascript")
            found["explorer.css"] = _asset(STYLE.encode(), "text/css")
            self._assets = found
        return self._assets

    def page(self) -> tuple[int, str, dict[str, str]]:
        """Status, HTML and headers (the Content-Security-Policy with this response's nonce)."""
        nonce = secrets.token_urlsafe(16)
        assets = self.assets()
        if assets is None:
            where = html.escape(str(assets_dir(self.settings)))
            return 503, MISSING.format(install=INSTALL, where=where, url=html.escape(self.path)), page_headers(nonce)

        def url(name: str) -> str:
            return html.escape(f"{self.path}/assets/{name}?v={assets[name].version}")

        styles = "\n".join(
            f'<link rel="stylesheet" href="{url(n)}" integrity="{assets[n].integrity}">' for n in STYLES)
        scripts = "\n".join(f'<script src="{url(n)}" integrity="{assets[n].integrity}"></script>' for n in SCRIPTS)
        headers = json.dumps({"X-Parse-Application-Id": self.settings.app_id, "X-Parse-Session-Token": ""}, indent=2)
        config = json.dumps({"url": self.path, "headers": headers, "nonce": nonce,
                             "appHeaders": {"X-Parse-Application-Id": self.settings.app_id}})
        # a data block, not a script: "</" and "<!--" must not end or comment it out
        config = config.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return 200, PAGE.format(styles=styles, scripts=scripts, config=config), page_headers(nonce)
