"""A light Parse REST client: aiohttp + orjson, one keep-alive connection pool per server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson


class ApiError(Exception):
    def __init__(self, status: int, body: Any, what: str) -> None:
        super().__init__(f"{what}: HTTP {status} {body!r}"[:300])
        self.status = status
        self.body = body
        self.what = what

    @property
    def kind(self) -> str:
        code = None
        if isinstance(self.body, dict):  # a Parse error's code, or a FHIR OperationOutcome's issue code
            issues = self.body.get("issue")
            code = self.body.get("code") or (issues[0].get("code") if isinstance(issues, list) and issues else None)
        return f"HTTP {self.status} code {code}"


def pointer(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


def acl_for(user_id: str) -> dict[str, dict[str, bool]]:
    return {user_id: {"read": True, "write": True}}


class Api:
    """``base`` is the mount URL, e.g. ``http://127.0.0.1:1437/parse``; Chartkeep's FHIR R4 base is
    ``/fhir/R4`` on the same host (``fhir_base``)."""

    def __init__(self, base: str, app_id: str, master_key: str, connections: int = 64) -> None:
        self.base = base.rstrip("/")
        parts = urlsplit(self.base)
        self.fhir_base = f"{parts.scheme}://{parts.netloc}/fhir/R4"
        self.app_id = app_id
        self.master_key = master_key
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Api:
        connector = aiohttp.TCPConnector(limit=self.connections, keepalive_timeout=60, ttl_dns_cache=None)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=120),
            skip_auto_headers=("User-Agent",),
            json_serialize=lambda v: orjson.dumps(v).decode(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def headers(self, token: str | None = None, master: bool = False) -> dict[str, str]:
        out = {"X-Parse-Application-Id": self.app_id, "Content-Type": "application/json"}
        if master:
            out["X-Parse-Master-Key"] = self.master_key
        elif token:
            out["X-Parse-Session-Token"] = token
        return out

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        master: bool = False,
        params: dict[str, str] | None = None,
    ) -> Any:
        assert self._session is not None
        data = orjson.dumps(body) if body is not None else None
        async with self._session.request(
            method, self.base + path, data=data, params=params, headers=self.headers(token, master)
        ) as resp:
            raw = await resp.read()
            status = resp.status
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw[:200]
        if status >= 400:
            raise ApiError(status, parsed, f"{method} {path}")
        return parsed

    async def fhir(self, path: str, *, token: str, params: dict[str, str] | None = None) -> Any:
        """``GET {fhir_base}{path}`` as a FHIR client sends it: the session token as a Bearer token."""
        assert self._session is not None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
        async with self._session.get(self.fhir_base + path, params=params, headers=headers) as resp:
            raw = await resp.read()
            status = resp.status
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw[:200]
        if status >= 400:
            raise ApiError(status, parsed, f"GET /fhir/R4{path}")
        return parsed

    async def health(self) -> bool:
        assert self._session is not None
        try:
            async with self._session.get(self.base + "/health") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False
