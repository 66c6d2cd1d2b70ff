"""The GraphiQL explorer page (loaded from a CDN), served at GET /graphql outside production mode.

It is pre-filled with the application id header only; a session token or the master key is
typed in by the person using it and never leaves their browser except to this server.
"""

from __future__ import annotations

import json

VERSION = "3.8.3"
REACT = "18.3.1"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Chartkeep GraphQL</title>
<style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
<link rel="stylesheet" href="https://unpkg.com/graphiql@{version}/graphiql.min.css" crossorigin="anonymous">
</head>
<body>
<div id="graphiql">Loading the explorer…</div>
<script src="https://unpkg.com/react@{react}/umd/react.production.min.js" crossorigin="anonymous"></script>
<script src="https://unpkg.com/react-dom@{react}/umd/react-dom.production.min.js" crossorigin="anonymous"></script>
<script src="https://unpkg.com/graphiql@{version}/graphiql.min.js" crossorigin="anonymous"></script>
<script>
  const url = {url};
  const fetcher = GraphiQL.createFetcher({{ url }});
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {{
      fetcher,
      defaultHeaders: {headers},
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }})
  );
</script>
</body>
</html>
"""


def explorer_page(path: str, app_id: str) -> str:
    headers = json.dumps({"X-Parse-Application-Id": app_id, "X-Parse-Session-Token": ""}, indent=2)
    return PAGE.format(version=VERSION, react=REACT, url=json.dumps(path), headers=json.dumps(headers))
