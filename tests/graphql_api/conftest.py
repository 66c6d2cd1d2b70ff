"""A GraphQL client over the in-process app, sending the same Parse headers as the REST client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Api


class Gql:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, session: str | None = None,
        master: bool = False, headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = self.api.headers(session, master)
        h.update(headers or {})
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.api.client.post("/graphql", json=body, headers=h)

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The ``data`` of a query that must succeed."""
        r = await self.post(query, variables, **kw)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, r.text
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The one error of a query that must fail."""
        r = await self.post(query, variables, **kw)
        body = r.json()
        assert len(body.get("errors", [])) == 1, r.text
        return body["errors"][0]


@pytest.fixture
def gql(api: Api) -> Gql:
    return Gql(api)
